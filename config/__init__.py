"""Deployment configuration: settings from the environment, rate card and carrier profiles."""
