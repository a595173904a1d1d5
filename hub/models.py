"""Import every module that declares tables, so the metadata is complete."""

from hub import db, reactors  # noqa: F401
from hub.accounts import tables as account_tables  # noqa: F401
from hub.mail import tables as mail_tables  # noqa: F401
from hub.ops import tables as ops_tables  # noqa: F401
from hub.runbooks import tables as runbook_tables  # noqa: F401
from hub.search import tables as search_tables  # noqa: F401
from hub.tickets import tables as ticket_tables  # noqa: F401
from hub.web import tables as web_tables  # noqa: F401
from hub.wiki import tables as wiki_tables  # noqa: F401
