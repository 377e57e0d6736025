"""Quality gates: expectation suites on marts, reconciliation with the feeds, definition checks."""
