"""Platform adapters: the only place platform SDKs are imported. Each translates platform
events into neutral ``IncomingMessage``/``ActionEvent`` and neutral messages into platform
calls. Imports ``bot`` only."""

from __future__ import annotations
