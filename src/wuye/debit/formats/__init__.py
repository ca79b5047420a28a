"""The banks' text formats, one JSON description per format (see docs/bank-formats.md)."""
