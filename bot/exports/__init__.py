"""Files Concord makes for people: tables as XLSX or CSV, charts as PNG (see ``Attachment``)."""
