"""Capture: read-only Microsoft Graph client that writes tenant snapshots to disk."""
