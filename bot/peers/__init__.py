"""Trusted peers: other Deputy installations (or agents) that Deputy corresponds with
by mail under a shared secret.

A peer's mail is machine-written and says so (RFC 3834 ``Auto-Submitted``), and Deputy
answers no machine mail; two Deputies could then never carry a conversation. Mail
between configured peers carries a ``Deputy-Peer`` signature header; a verified one is
read as a person's mail for that one rule, and for nothing else: a peer is a
correspondent, never the owner, and every other loop check stays in force.
"""

from bot.peers.settings import PeerSettings
from bot.peers.signature import HEADER, MailFields
from bot.peers.trust import Peers, Verdict

__all__ = ["HEADER", "MailFields", "PeerSettings", "Peers", "Verdict"]
