// Placeholder replaced by the drift/sync benchmark (issue #6); prints nothing yet.
print("SyncBenchmark: not written yet (issue #6)")
