"""Generated documents (PDF) for sellers, underwriters and ops."""
