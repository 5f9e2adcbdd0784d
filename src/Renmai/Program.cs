using Renmai.Hosting;

// `renmai` (or `renmai serve`) runs the server; other first words are admin subcommands.
return await RenmaiCli.RunAsync(args);

public partial class Program;
