using Weir.Cli;
using Weir.Core.Configuration;

return await WeirCommandLine.RunAsync(args, Console.Out, Console.Error, WeirEnvironment.FromProcess()).ConfigureAwait(false);
