"""The app's file routes: table downloads (/export/NAME.csv|.xlsx) and the model bundle's
report (/model/report). Both pass the sign-in guard; the services decide what the user gets."""

from __future__ import annotations

import flask
from werkzeug.wrappers import Response as WerkzeugResponse

from pde.frontend import auth
from pde.frontend.services import current, exports, reports

EXPORT_PATH = "/export"
REPORT_PATH = "/model/report"


def export_href(name: str, fmt: str) -> str:
    return f"{EXPORT_PATH}/{name}.{fmt}"


def report_href(version: str | None = None) -> str:
    return REPORT_PATH + (f"?version={version}" if version else "")


def install(server: flask.Flask) -> None:
    @server.route(f"{EXPORT_PATH}/<name>.<fmt>")
    def export(name: str, fmt: str) -> WerkzeugResponse:
        user = auth.require_user()
        try:
            found = exports.download(
                current(), user, name, fmt, customer_id=flask.request.args.get("id") or None
            )
        except ValueError as exc:
            return flask.Response(str(exc), status=400, mimetype="text/plain")
        response = flask.Response(found.body, mimetype=found.mimetype)
        response.headers["Content-Disposition"] = f'attachment; filename="{found.filename}"'
        return response

    @server.route(REPORT_PATH)
    def report() -> WerkzeugResponse:
        user = auth.require_user()
        version = flask.request.args.get("version") or None
        try:
            path = reports.report_path(current(), user, version)
        except reports.ReportMissingError as exc:
            return flask.Response(str(exc), status=404, mimetype="text/plain")
        return flask.send_file(path, mimetype="text/html", max_age=0)
