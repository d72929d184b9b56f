using BenchmarkDotNet.Running;

// Generic on purpose: every benchmark class in this assembly is selectable with --filter (e.g. *Classifier*).
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
