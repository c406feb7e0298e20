using Expt.Cli;

return await ExptHost.RunAsync(args).ConfigureAwait(false);
