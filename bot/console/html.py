"""Server-rendered HTML: one layout, escaping helpers, and the vendored CSS and JS.

Nothing is fetched from elsewhere: the console works offline, and the Content Security
Policy (``default-src 'self'``) lets the browser load nothing but this server's files.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from html import escape
from urllib.parse import urlencode

from aiohttp import web

NAV = (
    ("/", "Questions"),
    ("/drafts", "Drafts"),
    ("/conversations", "Conversations"),
    ("/activity", "Activity"),
    ("/rules", "Rules"),
    ("/tasks", "Tasks"),
    ("/health", "Health"),
    ("/spend", "Spend"),
)


def e(value: object) -> str:
    return escape(str(value), quote=True)


def when(moment: float | None) -> str:
    if not moment:
        return "-"
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(moment))


def query(**params: object) -> str:
    kept = {k: v for k, v in params.items() if v not in ("", None, 0)}
    return "?" + urlencode(kept) if kept else ""


def form(action: str, csrf: str, label: str, *, fields: dict[str, str] | None = None, kind: str = "") -> str:
    """A one-button POST form; every form carries the session's CSRF token."""
    hidden = "".join(
        f'<input type="hidden" name="{e(k)}" value="{e(v)}">'
        for k, v in {**(fields or {}), "csrf": csrf}.items()
    )
    return (
        f'<form method="post" action="{e(action)}" class="inline">{hidden}'
        f'<button type="submit" class="{e(kind)}">{e(label)}</button></form>'
    )


def table(head: Iterable[str], rows: Iterable[Iterable[str]], *, empty: str = "Nothing here yet.") -> str:
    """``rows`` cells are HTML already (escape what comes from data with ``e``)."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    if not body:
        return f'<p class="empty">{e(empty)}</p>'
    return (
        "<table><thead><tr>"
        + "".join(f"<th>{e(h)}</th>" for h in head)
        + f"</tr></thead><tbody>{body}</tbody></table>"
    )


def flash_of(request: web.Request, messages: dict[str, str]) -> str:
    """The message a redirect asked for, by code (``?said=CODE&q=N``)."""
    template = messages.get(request.query.get("said", ""), "")
    number = request.query.get("q", "")
    return template.format(q=number if number.isdigit() else "?") if template else ""


def pre(text: str) -> str:
    return f"<pre>{e(text)}</pre>"


def layout(title: str, body: str, *, here: str, live: bool = False, flash: str = "") -> str:
    nav = "".join(
        f'<a href="{href}"{" class=here" if href == here else ""}>{e(name)}</a>' for href, name in NAV
    )
    note = f'<p class="flash">{e(flash)}</p>' if flash else ""
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width, initial-scale=1">'
        f"<title>{e(title)} · Deputy</title>"
        '<link rel=stylesheet href="/static/console.css"><script src="/static/console.js" defer></script>'
        f'</head><body data-live="{1 if live else 0}"><header><strong>Deputy</strong><nav>{nav}</nav>'
        '<span id="live-state" title="live updates">●</span><a href="/logout">Log out</a></header>'
        f"<main><h1>{e(title)}</h1>{note}{body}</main></body></html>"
    )


CSS = """
:root{--fg:#1d2330;--muted:#667085;--line:#e4e7ec;--bg:#f8f9fb;--accent:#2f5bd3;--bad:#b42318;--ok:#067647}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;gap:1.5rem;align-items:center;padding:.6rem 1.2rem;background:#fff}
header{border-bottom:1px solid var(--line)}
header nav a{margin-right:.9rem;color:var(--muted);text-decoration:none}
header nav a.here{color:var(--accent);font-weight:600}
header > a{color:var(--muted);text-decoration:none}
#live-state{margin-left:auto;color:var(--muted)}
#live-state.on{color:var(--ok)}
main{max-width:1100px;margin:1rem auto;padding:0 1.2rem}
h1{font-size:1.35rem}
h2{font-size:1.1rem;margin-top:1.6rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;text-align:left;vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:.85rem}
pre{white-space:pre-wrap;background:#fff;border:1px solid var(--line);padding:.6rem;margin:.3rem 0}
.card{background:#fff;border:1px solid var(--line);border-radius:6px;padding:.8rem 1rem;margin:.8rem 0}
.muted,.empty{color:var(--muted)}
.bad{color:var(--bad)}
.ok{color:var(--ok)}
.flash{background:#eef4ff;padding:.5rem .8rem;border-radius:4px}
form.inline{display:inline}
button{font:inherit;padding:.25rem .7rem;border:1px solid var(--accent);background:var(--accent);color:#fff}
button{border-radius:4px;cursor:pointer}
button.quiet{background:#fff;color:var(--accent)}
button.danger{background:var(--bad);border-color:var(--bad)}
textarea{width:100%;min-height:5rem;font:inherit}
input,select{font:inherit;padding:.2rem}
.filters{display:flex;gap:.5rem;flex-wrap:wrap;margin:.5rem 0}
ul.reasons{margin:.2rem 0 .2rem 1.1rem;padding:0}
svg{background:#fff;border:1px solid var(--line)}
"""

# Live updates: the server says "something changed" over server-sent events; the page
# fetches itself again and swaps its <main>, unless the owner is typing in a form.
JS = """
(function(){
  var dot=document.getElementById('live-state');
  if(!window.EventSource){return;}
  var asked=0;
  function refresh(){
    if(document.body.dataset.live!=='1'){return;}
    var a=document.activeElement;
    if(a&&(a.tagName==='TEXTAREA'||a.tagName==='INPUT')&&a.value){return;}
    var mine=++asked;
    fetch(location.href,{credentials:'same-origin'})
    .then(function(r){return r.ok?r.text():null;}).then(function(t){
      if(!t||mine!==asked){return;}
      var doc=new DOMParser().parseFromString(t,'text/html');
      var fresh=doc.querySelector('main');
      if(fresh){document.querySelector('main').innerHTML=fresh.innerHTML;document.body.dataset.updated=String(Date.now());}
    });
  }
  var es=new EventSource('/live');
  // On (re)connect, fetch once: what changed between this page's render and the
  // stream's start is in no event.
  es.onopen=function(){dot.className='on';refresh();};
  es.onerror=function(){dot.className='';};
  es.onmessage=refresh;
})();
"""
