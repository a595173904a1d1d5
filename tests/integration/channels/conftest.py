"""Channel servers for these tests (and any folder that imports them the same way)."""

from channel_support import kannel_factory, prosody, webhook_receiver  # noqa: F401
