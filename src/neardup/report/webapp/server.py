"""The HTTP side of ``neardup review``: the guard, the routes, and serving on loopback.

* Every URL starts with the session's random token (``/<token>/...``). :class:`Guard`
  refuses, with 403 and before any route runs, a request without it, with another token,
  with a ``Host`` that is not this server (DNS rebinding) or an ``Origin`` or
  ``Sec-Fetch-Site`` from another site; state changes must be ``POST`` with a JSON body
  and this server's ``Origin`` (a cross-site form cannot send one).
* Routes take file ids only (never a path): 404 for an id outside the served groups.
  Pages are autoescaped Jinja2 templates; the script, a static file of the package, only
  sets ``textContent``; the Content-Security-Policy allows this origin only.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import socket
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Final
from urllib.parse import urlencode

import anyio.to_thread
from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from neardup import __version__
from neardup.actions import undo_run
from neardup.errors import NeardupError
from neardup.model import ImageRecord
from neardup.report.html import template_environment
from neardup.report.webapp import images, runs
from neardup.report.webapp.session import MAX_PER_PAGE, SORTS, STATUSES, ReviewSession

CSP: Final = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS: Final = (
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"cache-control", b"no-store"),
)


class Guard:
    """ASGI middleware: the token, Host, Origin and fetch-site checks, and security headers."""

    def __init__(self, app: ASGIApp, session: ReviewSession) -> None:
        self.app = app
        self.session = session

    def _allowed(self, scope: Scope) -> bool:
        s = self.session
        path: str = scope.get("path", "")
        segment = path[1:].split("/", 1)[0] if path.startswith("/") else ""
        if not secrets.compare_digest(segment.encode(), s.token.encode()):
            return False
        if not path.startswith(s.base) and path != s.base.rstrip("/"):
            return False
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        hosts = {f"127.0.0.1:{s.port}", f"localhost:{s.port}"}
        if headers.get("host") not in hosts:
            return False
        origin = headers.get("origin")
        if origin is not None and origin not in {f"http://{h}" for h in hosts}:
            return False
        if headers.get("sec-fetch-site", "same-origin") not in ("same-origin", "none"):
            return False
        # state changes: JSON from this page only
        json_body = headers.get("content-type", "").startswith("application/json")
        return scope.get("method") in ("GET", "HEAD") or (origin is not None and json_body)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"server"]
                message["headers"] = headers + list(SECURITY_HEADERS)
            await send(message)

        if not self._allowed(scope):
            forbidden = Response("forbidden\n", status_code=403, media_type="text/plain")
            await forbidden(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)


def _int(value: str | None, default: int, low: int, high: int) -> int:
    try:
        n = int(value) if value is not None else default
    except ValueError:
        n = default
    return max(low, min(high, n))


def _not_found() -> Response:
    return Response("not found\n", status_code=404, media_type="text/plain")


def build_app(session: ReviewSession) -> ASGIApp:
    """The ASGI app serving ``session`` (wrap-free: the guard is part of it)."""
    env = template_environment()
    env.globals.update(version=__version__, base=session.base)

    def page_url(**params: Any) -> str:
        clean = {k: v for k, v in params.items() if v not in (None, "", "all", "reclaimable", 1)}
        return session.base + (f"?{urlencode(clean)}" if clean else "")

    def record(fid: int) -> ImageRecord | None:
        return session.records[fid] if fid in session.group_of else None

    def groups_page(request: Request) -> Response:
        qp = request.query_params
        sort = qp.get("sort", "reclaimable")
        sort = sort if sort in SORTS else "reclaimable"
        status = qp.get("status", "all")
        status = status if status in STATUSES else "all"
        query = qp.get("q", "")[:200]
        per = _int(qp.get("per"), session.per_page, 1, MAX_PER_PAGE)
        gids = session.select(sort, query, status)
        pages = max(1, -(-len(gids) // per))
        page = _int(qp.get("page"), 1, 1, pages)
        focus = _int(qp.get("group"), 0, 0, len(session.groups))
        if focus and focus in gids:
            page = gids.index(focus) // per + 1
        shown = gids[(page - 1) * per : page * per]
        session.prefetch(shown)
        params = {
            "sort": sort,
            "q": query,
            "status": status,
            "per": per if per != session.per_page else None,
        }
        with session.lock:
            views = [session.group_view(gid) for gid in shown]
            totals = session.totals()
        html = env.get_template("review/groups.html.j2").render(
            groups=views,
            totals=totals,
            matching=len(gids),
            total_groups=len(session.groups),
            page=page,
            pages=pages,
            prev_url=page_url(page=page - 1, **params) if page > 1 else None,
            next_url=page_url(page=page + 1, **params) if page < pages else None,
            sort=sort,
            sorts=SORTS,
            status=status,
            statuses=STATUSES,
            query=query,
            focus=focus,
            action=session.action.value,
            move_to=session.move_to,
            runs=session.runs,
            roots=session.result.settings.paths,
        )
        return HTMLResponse(html)

    def compare_page(request: Request) -> Response:
        gid = request.path_params["gid"]
        g = session.groups.get(gid)
        if g is None:
            return _not_found()
        qp = request.query_params
        a = _int(qp.get("a"), g.keeper, 0, len(session.records))
        others = [m for m in g.members if m != a]
        b = _int(qp.get("b"), others[0] if others else a, 0, len(session.records))
        if a not in g.members or b not in g.members:
            return _not_found()
        session.prefetch([gid])
        with session.lock:
            view = session.group_view(gid)
            totals = session.totals()
        mode = qp.get("mode", "side")
        by_id = {m["id"]: m for m in view["members"]}
        html = env.get_template("review/compare.html.j2").render(
            group=view,
            a=by_id[a],
            b=by_id[b],
            mode=mode if mode in ("side", "flicker", "diff") else "side",
            back_url=page_url(group=gid) + f"#g{gid}",
            totals=totals,
        )
        return HTMLResponse(html)

    def thumb(request: Request) -> Response:
        fid = request.path_params["fid"]
        r = record(fid)
        shown = (
            None
            if r is None
            else images.thumbnail(r, session.cache, removed=fid in session.removed)
        )
        return shown or _not_found()

    def image(request: Request) -> Response:
        r = record(request.path_params["fid"])
        shown = None if r is None else images.full_image(r)
        return shown or _not_found()

    def diff(request: Request) -> Response:
        ida, idb = request.path_params["a"], request.path_params["b"]
        a, b = record(ida), record(idb)
        if a is None or b is None or session.group_of[ida] != session.group_of[idb]:
            return _not_found()
        return images.difference(a, b) or _not_found()

    def static(request: Request) -> Response:
        return images.static_file(request.path_params["name"]) or _not_found()

    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        if len(raw) > 10_000:
            raise ValueError("request too large")
        data = json.loads(raw or b"{}")
        if not isinstance(data, dict):
            raise ValueError("expected a JSON object")
        return data

    def api(
        handler: Callable[[dict[str, Any]], Awaitable[dict[str, Any]]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                data = await body(request)
                out = await handler(data)
            except LookupError as exc:
                return JSONResponse({"error": str(exc)}, status_code=404)
            except (ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            except NeardupError as exc:
                msg = str(exc) + (f" ({exc.hint})" if exc.hint else "")
                return JSONResponse({"error": msg}, status_code=409)
            with session.lock:
                out["totals"] = session.totals()
            return JSONResponse(out)

        return endpoint

    async def mark(data: dict[str, Any]) -> dict[str, Any]:
        if session.running:
            raise ValueError("a run is in progress; mark again when it has finished")
        with session.lock:
            g = session.mark(data.get("group"), data.get("file"), data.get("mark"))
            return {"group": session.group_json(g)}

    async def group_action(data: dict[str, Any]) -> dict[str, Any]:
        if session.running:
            raise ValueError("a run is in progress; mark again when it has finished")
        with session.lock:
            g = session.group_action(data.get("group"), data.get("action"))
            return {"group": session.group_json(g)}

    async def apply(data: dict[str, Any]) -> dict[str, Any]:
        if session.running:
            raise ValueError("a run is in progress")
        with session.lock:
            if not session.pending():
                raise ValueError("nothing is marked for deletion")
            todo = runs.plan(session)
        session.running = True
        try:
            report = await anyio.to_thread.run_sync(runs.apply, session, todo)
        finally:
            session.running = False
        with session.lock:
            run = runs.applied(session, report)
            paths = {o.path for o in report.outcomes}
            fids = [m for m in session.group_of if session.records[m].path in paths]
            return {"run": run, "groups": session.affected_groups(fids)}

    async def undo(data: dict[str, Any]) -> dict[str, Any]:
        run_id = data.get("run")
        run = next((r for r in session.runs if r["run_id"] == run_id), None)
        if run is None:
            raise LookupError("not a run of this review")
        if session.running:
            raise ValueError("a run is in progress")
        session.running = True
        try:
            report = await anyio.to_thread.run_sync(lambda: undo_run(run_id))
        finally:
            session.running = False
        with session.lock:
            out = runs.undone(session, run, report.outcomes)
            paths = {o.path for o in report.outcomes}
            fids = [m for m in session.group_of if session.records[m].path in paths]
            for gid in {session.group_of[m] for m in fids}:
                session.save(session.groups[gid])  # the restored files' marks count again
            out["groups"] = session.affected_groups(fids)
            return out

    async def done(request: Request) -> Response:
        def stop() -> None:
            if session.server is not None:
                session.server.should_exit = True

        return JSONResponse({"stopping": True}, background=BackgroundTask(stop))

    def off_loop(fn: Callable[[Request], Response]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:  # pages and images: worker threads
            return await anyio.to_thread.run_sync(fn, request)

        return endpoint

    routes = [
        Route("/", off_loop(groups_page), methods=["GET"]),
        Route("/compare/{gid:int}", off_loop(compare_page), methods=["GET"]),
        Route("/thumb/{fid:int}", off_loop(thumb), methods=["GET"]),
        Route("/image/{fid:int}", off_loop(image), methods=["GET"]),
        Route("/diff/{a:int}/{b:int}", off_loop(diff), methods=["GET"]),
        Route("/static/{name}", static, methods=["GET"]),
        Route("/api/mark", api(mark), methods=["POST"]),
        Route("/api/group", api(group_action), methods=["POST"]),
        Route("/api/apply", api(apply), methods=["POST"]),
        Route("/api/undo", api(undo), methods=["POST"]),
        Route("/api/done", done, methods=["POST"]),
    ]
    app = Starlette(routes=[Mount(session.base.rstrip("/"), routes=routes)])
    return Guard(app, session)


def bind(port: int = 0) -> socket.socket:
    """A listening socket on the loopback interface (``port`` 0: a free one)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def serve(
    session: ReviewSession,
    sock: socket.socket,
    *,
    on_ready: Callable[[], None] | None = None,
) -> None:
    """Serve ``session`` on ``sock`` until "Done" is pressed or the process is interrupted.

    Run it on the thread that should own the catalog connection (the event loop's).
    """
    import uvicorn

    session.port = sock.getsockname()[1]
    config = uvicorn.Config(
        build_app(session),
        lifespan="off",
        log_config=None,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=3,
    )
    server = uvicorn.Server(config)
    session.server = server
    if on_ready is not None:
        threading.Timer(0.0, on_ready).start()
    try:
        server.run(sockets=[sock])
    finally:
        session.close()
        with contextlib.suppress(OSError):
            sock.close()
