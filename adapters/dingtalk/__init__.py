"""The DingTalk adapter (enterprise-internal app robot): Stream mode or HTTP callbacks in,
the OpenAPI out, approval cards as advanced interactive cards or as text commands.

Modules: ``settings`` (``[dingtalk]``, no network imports), ``signing`` and ``inbound``
(pure), ``outbound`` (pure rendering), ``openapi`` (token + errors), ``platform``
(delivery), ``people`` (nicks become names), ``stream`` (the Stream protocol client),
``adapter`` (routes and wiring).
"""
