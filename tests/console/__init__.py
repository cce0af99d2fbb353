"""The ops console, through the real app and its test client."""
