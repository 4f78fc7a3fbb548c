import fc from 'fast-check';

// Bound every property in time, and fail loudly rather than pass quietly when it runs out.
fc.configureGlobal({ interruptAfterTimeLimit: 30_000, markInterruptAsFailure: true });
