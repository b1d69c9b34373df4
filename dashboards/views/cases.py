"""Cases: reported errors and detected exceptions worked through their lifecycle. The list and
its filters, one case with its linked exception and trail, the actions the case's state and the
user's role allow, and bulk actions on the listed cases. Reads and writes go to the case store;
only the linked exception comes from the snapshot."""

from datetime import datetime

import pandas as pd
import streamlit as st

from posaudit.cases import lifecycle
from posaudit.cases.reports import get_report
from posaudit.cases.sla import SlaPolicy
from posaudit.dashboards import auth, casework, display, messages, queries
from posaudit.dashboards.connection import warehouse
from posaudit.dashboards.frame import keep, set_param, start, url_params
from posaudit.dashboards.widgets import drill_down, shown, table

PARAM = "case"
LIST_LIMIT = 1000
FLASH, BULK_FLASH = "case_flash", "case_bulk_flash"
INPUTS = ("case_assignee", "case_amount", "case_reference", "case_reason")
# The codes a case's title and kind are made of (an exception's or a report's type).
TITLE_CODES = ("exception_type", "report_type")
FILTER_PARAMS = {"case_f_state": "cstate", "case_f_assignee": "cassignee",
                 "case_f_kind": "ckind", "case_f_text": "q"}
TOGGLE_PARAMS = {"case_f_mine": "mine", "case_f_closed": "closed"}

page = start("page.cases", with_filters=False, about_cases=True)
t = page.t
who = page.viewer.who
root = warehouse().root
store = casework.existing_store(root)
zone = display.merchant_zone()


def state_label(state: str) -> str:
    return casework.state_term(page.lang, state) if state else t("cases.any")


def action_label(action: str) -> str:
    return t(f"action.{action}")


def done_text(row: dict[str, object]) -> str:
    action, before, after = str(row["action"]), str(row["from_state"]), str(row["to_state"])
    if before == after:
        return t("cases.done_stay", action=action_label(action), state=state_label(after))
    return t("cases.done_move", action=action_label(action), before=state_label(before),
             after=state_label(after))


def apply_action(case_id: str) -> None:
    """The action button: act as whoever is logged in at the moment of the click."""
    actor, target = auth.current(), casework.existing_store(root)
    if not actor.logged_in or target is None:
        st.session_state[FLASH] = (False, case_id, t("cases.login_to_act"))
        return
    s = st.session_state
    outcome = casework.act_once(target, case_id, s.get("case_action", ""), actor.actor(),
                                amount=s.get("case_amount", ""),
                                reference=s.get("case_reference", ""),
                                reason=s.get("case_reason", ""),
                                assignee=s.get("case_assignee", ""))
    s[FLASH] = (outcome.ok, case_id, done_text(outcome.row) if outcome.row else outcome.message)
    if outcome.ok:
        for key in INPUTS:
            s[key] = ""


def apply_bulk(case_ids: list[str]) -> None:
    actor, target = auth.current(), casework.existing_store(root)
    if not actor.logged_in or target is None:
        return
    s = st.session_state
    s[BULK_FLASH] = casework.act_many(target, case_ids, s.get("bulk_action", ""),
                                      actor.actor(), reason=s.get("bulk_reason", ""),
                                      assignee=s.get("bulk_assignee", ""))
    s["bulk_confirm"] = False


def open_exception(exception_id: str) -> None:
    st.session_state["exc_pick"] = exception_id
    st.switch_page("views/exceptions.py",
                   query_params={**url_params(), "exception": exception_id})


if auth.oidc_settings() is None and not auth.users_file().exists():
    st.info(t("cases.no_users"))
    st.code(auth.add_user_command(), language="bash")
elif not who.logged_in:
    st.caption(t("cases.read_only"))

cases = casework.load_cases(store)
if cases.empty:
    st.info(t("cases.none"))
    st.stop()
now = datetime.now(zone).replace(tzinfo=None)
cases = casework.work_queue(cases, SlaPolicy.load(), now, zone)

# --- the list: a work queue --------------------------------------------------------------
params = url_params()
keep("case_f_state", [s for s in params.get("cstate", "").split(",") if s in lifecycle.STATES])
keep("case_f_assignee", params.get("cassignee", ""))
keep("case_f_kind", params.get("ckind", ""))
keep("case_f_text", params.get("q", ""))
keep("case_f_mine", params.get("mine", "") == "1")
keep("case_f_closed", params.get("closed", "") == "1")
assignees = ["", casework.UNASSIGNED, *casework.choices(cases, "assignee")]
kinds = ["", *casework.choices(cases, "kind")]
for key, options in (("case_f_assignee", assignees), ("case_f_kind", kinds)):
    if st.session_state[key] not in options:
        st.session_state[key] = ""
left, middle, right, search = st.columns([3, 2, 2, 3])
states = left.multiselect(t("cases.filter_state"), list(lifecycle.STATES), key="case_f_state",
                          format_func=state_label, placeholder=t("filters.placeholder"))
mine = bool(who.logged_in and who.name)
assignee = middle.selectbox(t("cases.filter_assignee"), assignees, key="case_f_assignee",
                            format_func=lambda a: {"": t("cases.any"),
                                                   casework.UNASSIGNED: t("cases.unassigned")
                                                   }.get(a, a),
                            disabled=mine and bool(st.session_state["case_f_mine"]))
kind = right.selectbox(t("cases.filter_kind"), kinds, key="case_f_kind",
                       format_func=lambda k: display.with_terms(page.lang, k, TITLE_CODES)
                       if k else t("cases.any"))
text = search.text_input(t("cases.filter_text"), key="case_f_text")
toggles = st.columns([2, 2, 6])
only_mine = toggles[0].toggle(t("cases.mine"), key="case_f_mine", disabled=not mine,
                              help=t("cases.mine_help"))
with_closed = toggles[1].toggle(t("cases.show_closed"), key="case_f_closed")
for key, name in FILTER_PARAMS.items():
    value = st.session_state[key]
    set_param(name, ",".join(value) if isinstance(value, list) else value or None)
for key, name in TOGGLE_PARAMS.items():
    set_param(name, "1" if st.session_state[key] else None)

mine_only = (who.name or "") if mine and only_mine else ""  # then the assignee filter rests
matching = casework.filter_cases(cases, casework.CaseFilter(
    tuple(states), "" if mine_only else assignee, kind, text, mine=mine_only,
    include_closed=with_closed))
# The table and the picker show the first LIST_LIMIT; bulk actions take every matching case.
listed = matching.head(LIST_LIMIT)
st.caption(t("cases.count", shown=display.count(len(listed)),
             matching=display.count(len(matching)), total=display.count(len(cases))))
st.caption(t("cases.queue_help", zone=display.zone_label(zone)))
clicked = table(page, casework.queue_view(listed, page.lang, zone), "cases", selectable=True)

# --- bulk actions on the listed cases ------------------------------------------------------
bulk = casework.bulk_actions(who.role) if who.logged_in else []
if bulk and not matching.empty:
    with st.expander(t("cases.bulk", n=len(matching))):
        st.caption(t("cases.bulk_help"))
        if st.session_state.get("bulk_action") not in bulk:
            st.session_state["bulk_action"] = bulk[0]
        chosen_bulk = st.selectbox(t("cases.action"), bulk, key="bulk_action",
                                   format_func=action_label)
        if chosen_bulk == "assign":
            st.text_input(t("cases.assignee"), key="bulk_assignee", placeholder=who.name)
        st.text_area(t("cases.reason"), key="bulk_reason", height=80)
        confirmed = st.checkbox(t("cases.bulk_confirm", n=len(matching)), key="bulk_confirm")
        st.button(t("cases.bulk_apply", n=len(matching)), key="bulk_apply",
                  disabled=not confirmed, on_click=apply_bulk,
                  args=(list(matching["case_id"]),))
result = st.session_state.pop(BULK_FLASH, None)
if result is not None:
    summary = t("cases.bulk_done", done=len(result.done), total=result.total,
                action=action_label(result.action))
    (st.warning if result.refused else st.success)(summary)
    if result.refused:
        st.markdown(f"**{t('cases.bulk_refused', n=len(result.refused))}**")
        table(page, pd.DataFrame([(c, messages.localize(page.lang, why))
                                  for c, why in result.refused], columns=["case_id", "reason"]),
              "cases_bulk_refused")

# --- one case ------------------------------------------------------------------------------
st.subheader(t("cases.detail"))
labels = {str(r.case_id): f"{r.case_id} · {state_label(str(r.state))} · "
          f"{display.with_terms(page.lang, r.title, TITLE_CODES)}" for r in cases.itertuples()}
clicked_id = listed.iloc[clicked]["case_id"] if clicked is not None else None
# A link may name a case outside the current filters, if it exists.
chosen = drill_down(list(listed["case_id"]), clicked_id, param=PARAM, key="case",
                    label=t("cases.pick"), labels=labels, none_label=t("cases.choose"),
                    outside_ok=url_params().get(PARAM, "") in set(cases["case_id"]))
if not chosen or store is None:
    st.stop()
case = lifecycle.get_case(store, chosen)
if case is None:
    st.warning(t("cases.not_found", id=chosen))
    st.stop()

st.markdown(f"### {display.with_terms(page.lang, case['title'], TITLE_CODES)}")
facts = st.columns(4)
facts[0].metric(t("cases.state"), state_label(case["state"]))
facts[1].metric(t("cases.assignee"), case["assignee"] or t("cases.unassigned"))
facts[2].metric(t("cases.amount", currency=display.term(page.lang, "currency",
                                                        case["currency"] or "CNY")),
                display.amount(case["amount"]))
facts[3].metric(t("table.zone_column", column=t("cases.opened"), zone=display.zone_label(zone)),
                display.local_time(case["opened_at"], zone))
queued = cases[cases["case_id"] == chosen]
if not queued.empty:
    row = queued.iloc[0]
    sla = st.columns(4)
    sla[0].metric(t("cases.priority"), display.count(round(row["priority"])))
    sla[1].metric(t("cases.age"), t("cases.days", n=f"{row['age_days']:,.1f}"))
    sla[2].metric(t("cases.sla_due", zone=display.zone_label(zone)),
                  display.local_time(row["sla_due"], zone, seconds=False))
    sla[3].metric(t("cases.sla_status"), t(f"cases.sla.{str(row['sla_status']).lower()}"))
proposal = casework.pending_proposal(store, chosen)
if proposal:
    st.info(t("cases.proposal", actor=proposal["actor"], amount=display.amount(proposal["amount"])))

if case["exception_id"]:
    st.markdown(f"**{t('cases.exception')}**")
    linked = page.query(queries.CASE_EXCEPTION, [case["exception_id"]])
    if linked.empty:
        st.caption(t("cases.exception_missing", id=case["exception_id"]))
    else:
        table(page, linked, "case_exception")
        if st.button(t("cases.open_exception"), key="case_open_exception"):
            open_exception(str(case["exception_id"]))
if case["report_id"]:
    report = get_report(store, case["report_id"])
    if report:
        with st.expander(t("cases.report", id=case["report_id"])):
            table(page, pd.DataFrame({"field": list(report), "value": [
                shown(v) for v in report.values()]}), "case_report")

st.markdown(f"**{t('cases.act')}**")
actions = casework.allowed_actions(case["state"], who.role,
                                   proposal_pending=proposal is not None) if who.logged_in else []
if not who.logged_in:
    st.caption(t("cases.login_to_act"))
elif not actions:
    st.caption(t("cases.no_actions", role=t(f"role.{who.role}"), state=state_label(case["state"])))
else:
    if st.session_state.get("case_action") not in actions:
        st.session_state["case_action"] = actions[0]
    action = st.selectbox(t("cases.action"), actions, key="case_action", format_func=action_label)
    inputs = st.columns(3)
    if action == "assign":
        inputs[0].text_input(t("cases.assignee"), key="case_assignee", placeholder=who.name)
    if action in lifecycle.NEEDS_AMOUNT:
        inputs[1].text_input(t("cases.amount_input"), key="case_amount",
                             placeholder=shown(case["amount"]))
    if action in lifecycle.NEEDS_REFERENCE:
        inputs[2].text_input(t("cases.reference"), key="case_reference")
    needs = action in lifecycle.NEEDS_REASON
    st.text_area(t("cases.reason_required" if needs else "cases.reason"), key="case_reason",
                 height=80)
    st.button(t("cases.apply"), key="case_apply", type="primary", on_click=apply_action,
              args=(chosen,))
flash = st.session_state.pop(FLASH, None)
if flash is not None and flash[1] == chosen:
    ok, _, message = flash
    if ok:
        st.success(message)
    else:
        st.error(t("cases.refused", message=messages.localize(page.lang, message)))

st.markdown(f"**{t('cases.trail')}**")
table(page, casework.trail_frame(store, chosen), "case_trail")
