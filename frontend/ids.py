"""Component ids, one place: pages and callbacks use these names, never literals."""

from __future__ import annotations

# shell
URL = "url"
STATUS_BANNER = "status-banner"
STATUS_INTERVAL = "status-interval"
NAV = "nav"

# action center
AC_TABS = "ac-urgency"
AC_TABLE = "ac-queue"
AC_SNAPSHOT = "ac-snapshot"
AC_ALERTS = "ac-alerts"
AC_SIMULATE = "ac-simulate"
AC_EXECUTE = "ac-execute"
AC_IMPACT = "ac-impact"
AC_MODAL = "ac-modal"
AC_RESULT = "ac-result"
AC_SLA = "ac-sla"
AC_SLA_TABLE = "ac-sla-table"

# risk overview
RO_SEGMENT = "ro-segment"
RO_DIMENSION = "ro-dimension"
RO_CLEAR = "ro-clear"
RO_BODY = "ro-body"
RO_SEGMENTS_CHART = "ro-segments-chart"
RO_FILTER_LABEL = "ro-filter-label"

# deep dive
DD_SEARCH = "dd-search"
DD_TOP = "dd-top"
DD_BODY = "dd-body"
DD_FORBIDDEN = "dd-forbidden"
DD_EXPLAIN = "dd-explain"
DD_EXPLAIN_BTN = "dd-explain-btn"
DD_EXPLAIN_HEAD = "dd-explain-head"
DD_EXPLAIN_NOTE = "dd-explain-note"
DD_PROTECTIVE = "dd-protective"
DD_CREATE_TYPE = "dd-create-type"
DD_CREATE_PRIORITY = "dd-create-priority"
DD_CREATE_REASON = "dd-create-reason"
DD_CREATE_BTN = "dd-create-btn"
DD_ASSIGN_OFFICER = "dd-assign-officer"
DD_ASSIGN_BTN = "dd-assign-btn"
DD_ACTION_RESULT = "dd-action-result"
DD_HISTORY = "dd-history"
DD_CUSTOMER = "dd-customer"

# monitor
MO_INTERVAL = "mo-interval"
MO_BODY = "mo-body"
MO_UPDATED = "mo-updated"

# model performance
MP_VERSION = "mp-version"
MP_BODY = "mp-body"
MP_POLICY = "mp-policy"
MP_TIERS = "mp-tiers"

# interventions tracker
IT_PERIOD = "it-period"
IT_TYPE = "it-type"
IT_STATUS = "it-status"
IT_KPIS = "it-kpis"
IT_CHARTS = "it-charts"
IT_TABLE = "it-table"
IT_SELECTED = "it-selected"
IT_OFFICER = "it-officer"
IT_REASON = "it-reason"
IT_OUTCOME = "it-outcome"
IT_AMOUNT = "it-amount"
IT_NOTE = "it-note"
IT_RESULT = "it-result"
IT_REFRESH = "it-refresh"
IT_ACTION = "it-action"  # pattern-matching: {"type": IT_ACTION, "action": name}
IT_RECORD = "it-record"

# data management
DM_CUSTOMERS = "dm-customers"
DM_GENERATE = "dm-generate"
DM_RETRAIN = "dm-retrain"
DM_QUICK = "dm-quick"
DM_BUNDLE = "dm-bundle"
DM_PROMOTE = "dm-promote"
DM_JOBS = "dm-jobs"
DM_INTERVAL = "dm-interval"
DM_RESULT = "dm-result"
DM_USERS = "dm-users"
DM_NEW_USERNAME = "dm-new-username"
DM_NEW_NAME = "dm-new-name"
DM_NEW_ROLE = "dm-new-role"
DM_CREATE_USER = "dm-create-user"
DM_TOGGLE_USER = "dm-toggle-user"
DM_REGISTRY = "dm-registry"
