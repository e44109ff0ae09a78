"""The web board's framework side: signed links (``links``) and the page port (``pages``)."""
