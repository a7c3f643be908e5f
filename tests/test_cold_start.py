"""Cold start: check_availability imports neither stripe nor boto3, nor the AWS SDK client machinery
(Powertools touches only the botocore package itself, for its user agent)."""

import subprocess
import sys

from tests.support import ROOT

PROBE = """
import sys
sys.path.insert(0, {path!r})
import app
print(sorted(m for m in ("stripe", "boto3", "botocore.client", "aws_xray_sdk.core") if m in sys.modules))
"""


def test_check_availability_loads_no_aws_sdk_and_no_stripe():
    out = subprocess.run([sys.executable, "-c", PROBE.format(path=str(ROOT / "functions" / "check_availability"))],
                         capture_output=True, text=True, check=True).stdout.strip()
    assert out == "[]"


def test_every_function_module_imports_cleanly():
    for name in ("create_reservation", "transition_status", "scheduled"):
        subprocess.run([sys.executable, "-c", PROBE.format(path=str(ROOT / "functions" / name))],
                       capture_output=True, text=True, check=True)
