"""The one registry of channels: name -> (connector type, module, capabilities).

Built once from the settings (plus the built-in ``cli`` console and ``webhook``, plus any
``extra_connectors`` an embedder adds). The daemon, ``deputy check`` and ``deputy try``
read channels from here; the core asks a channel's ``Capabilities`` and never names one.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from bot.channels.contract import NO_CAPABILITIES, Capabilities
from bot.config import Settings, channel_settings, connector_type, load_connector_module
from bot.owner import OwnerProfile

BUILTIN: Mapping[str, str] = {"cli": "console", "webhook": "webhook"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Channel:
    name: str
    type: str
    module: ModuleType | None  # None for an embedded connector whose type is no package
    capabilities: Capabilities
    configured: bool  # has a [channels.<name>] section in config.toml


def _capabilities_of(module: ModuleType | None) -> Capabilities:
    caps = getattr(module, "CAPABILITIES", None)
    return caps if isinstance(caps, Capabilities) else NO_CAPABILITIES


def _import_type(kind: str) -> ModuleType | None:
    try:
        return importlib.import_module(f"connectors.{kind}")
    except ModuleNotFoundError as exc:
        if exc.name == f"connectors.{kind}":
            return None
        raise


class ChannelRegistry:
    def __init__(self, channels: Mapping[str, Channel]) -> None:
        self._channels = dict(channels)

    @classmethod
    def from_settings(
        cls, settings: Settings, *, extra: Mapping[str, tuple[str, Any]] | None = None
    ) -> ChannelRegistry:
        """``extra``: name -> (type, connector). The connector may carry its own
        ``capabilities``; otherwise the type's package's ``CAPABILITIES`` apply."""
        channels: dict[str, Channel] = {}
        for name, section in settings.channels.items():
            if not section.get("enabled", True):
                continue
            module = load_connector_module(settings, name)
            channels[name] = Channel(
                name=name,
                type=connector_type(settings, name),
                module=module,
                capabilities=_capabilities_of(module),
                configured=True,
            )
        for name, kind in BUILTIN.items():
            if name not in channels:
                module = importlib.import_module(f"connectors.{kind}")
                channels[name] = Channel(
                    name=name,
                    type=kind,
                    module=module,
                    capabilities=_capabilities_of(module),
                    configured=False,
                )
        for name, (kind, connector) in (extra or {}).items():
            module = _import_type(kind)
            own = getattr(connector, "capabilities", None)
            caps = own if isinstance(own, Capabilities) else _capabilities_of(module)
            channels[name] = Channel(name=name, type=kind, module=module, capabilities=caps, configured=False)
        return cls(channels)

    @classmethod
    def of_types(cls, types: Mapping[str, str]) -> ChannelRegistry:
        """A registry from name -> type alone (tests, tools without a config)."""
        channels = {}
        for name, kind in types.items():
            module = _import_type(kind)
            channels[name] = Channel(
                name=name, type=kind, module=module, capabilities=_capabilities_of(module), configured=False
            )
        return cls(channels)

    def __contains__(self, name: object) -> bool:
        return name in self._channels

    def __iter__(self) -> Iterator[str]:
        return iter(self._channels)

    def __len__(self) -> int:
        return len(self._channels)

    def get(self, name: str) -> Channel | None:
        return self._channels.get(name)

    def names(self) -> list[str]:
        return list(self._channels)

    def configured(self) -> list[str]:
        """Channels from config.toml (enabled), in file order."""
        return [c.name for c in self._channels.values() if c.configured]

    @property
    def types(self) -> dict[str, str]:
        return {c.name: c.type for c in self._channels.values()}

    def capabilities(self, name: str) -> Capabilities:
        channel = self._channels.get(name)
        return channel.capabilities if channel is not None else NO_CAPABILITIES

    def type_capabilities(self, kind: str) -> Capabilities:
        """Capabilities of a connector type (a registered channel's, else its package's)."""
        for channel in self._channels.values():
            if channel.type == kind:
                return channel.capabilities
        return _capabilities_of(_import_type(kind)) if kind.isidentifier() else NO_CAPABILITIES

    def speaks_mail(self, name: str, *, kind: str = "") -> bool:
        """Channel ``name`` speaks email; ``kind`` (a connector type) decides for a name
        that is not registered, such as a task's opening event."""
        if name in self._channels:
            return self.capabilities(name).mail
        return self.type_capabilities(kind).mail

    def mail_channels(self) -> list[str]:
        return [c.name for c in self._channels.values() if c.capabilities.mail]

    def module(self, name: str) -> ModuleType:
        channel = self._channels[name]
        if channel.module is None:
            raise KeyError(f"channel {name!r} (type {channel.type!r}) has no connector package")
        return channel.module

    def settings_for(self, settings: Settings, name: str) -> BaseModel:
        """The channel's validated settings (its defaults when it has no config section)."""
        if name in settings.channels:
            return channel_settings(settings, name)
        model: BaseModel = self.module(name).SETTINGS()
        return model

    def reaches_owner(self, name: str, owner: OwnerProfile) -> bool:
        """False when the channel carries owner prompts but the owner has no identity on it."""
        caps = self.capabilities(name)
        return not (caps.prompts and caps.owner_key and not owner.identities.get(caps.owner_key))
