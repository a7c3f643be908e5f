"""The alarms of template.yaml: every function's failures, and the outbox's, reach the alarm topic,
and the outbox alarms watch metrics the scheduled function really emits (CloudWatch's embedded
metric format, read from its output)."""

import json

from couvert_dev.devserver import read_template
from tests.support import SCHEDULE_EVENT, FakeContext, load_handler

RESOURCES = read_template()["Resources"]
ALARMS = {name: r["Properties"] for name, r in RESOURCES.items() if r["Type"] == "AWS::CloudWatch::Alarm"}


def test_every_alarm_notifies_the_alarm_topic():
    assert ALARMS and all(alarm["AlarmActions"] == ["AlarmTopic"] for alarm in ALARMS.values())


def test_every_function_has_an_alarm_on_its_failures():
    functions = {name for name, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
    watched = {dimension["Value"] for alarm in ALARMS.values()
               if (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
               for dimension in alarm["Dimensions"] if dimension["Name"] == "FunctionName"}
    assert len(functions) == 6 and watched == functions


def test_the_outbox_alarms_watch_what_the_scheduled_function_emits(app_env, demo_location, monkeypatch, capfd):
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    capfd.readouterr()
    load_handler("scheduled").lambda_handler(SCHEDULE_EVENT, FakeContext())
    [emitted] = [json.loads(line) for line in capfd.readouterr().out.splitlines() if '"CloudWatchMetrics"' in line]
    [directive] = emitted["_aws"]["CloudWatchMetrics"]
    metrics = {metric["Name"] for metric in directive["Metrics"]}
    outbox_alarms = [alarm for alarm in ALARMS.values() if alarm["MetricName"].startswith("outbox")]
    assert len(outbox_alarms) == 2
    for alarm in outbox_alarms:
        assert alarm["Namespace"] == directive["Namespace"] and alarm["MetricName"] in metrics
        assert all(emitted[d["Name"]] == d["Value"] for d in alarm["Dimensions"])
        assert [d["Name"] for d in alarm["Dimensions"]] in directive["Dimensions"]
