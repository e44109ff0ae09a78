"""The Feishu / Lark adapter (see adapters/feishu/adapter.py)."""
