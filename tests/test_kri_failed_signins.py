"""entra_failed_signins_24h: docs/kri.md (now = captured_at 2026-11-27T11:06:44Z)."""

from tests.snapshot_builder import compute_kri

SLUG = "entra_failed_signins_24h"


def sign_in(sign_in_id, created, error_code=50126):
    return {"id": sign_in_id, "createdDateTime": created, "status": {"errorCode": error_code}}


def test_window_lower_bound_is_inclusive(tmp_path):
    """Definitions: now - 24 hours <= createdDateTime."""
    result = compute_kri(tmp_path, SLUG, sign_ins=[sign_in("s", "2026-11-26T11:06:44Z")])
    assert result.value == 1


def test_window_upper_bound_is_inclusive(tmp_path):
    """Definitions: createdDateTime <= now."""
    result = compute_kri(tmp_path, SLUG, sign_ins=[sign_in("s", "2026-11-27T11:06:44Z")])
    assert result.value == 1


def test_outside_window_not_counted(tmp_path):
    """Definitions: the window is [now - 24 hours, now]; before or after does not count."""
    rows = [
        sign_in("before", "2026-11-26T11:06:43.9999999Z"),
        sign_in("after", "2026-11-27T11:06:44.0000010Z"),
    ]
    assert compute_kri(tmp_path, SLUG, sign_ins=rows).value == 0


def test_error_code_zero_is_not_a_failure(tmp_path):
    """Definitions: status.errorCode <> 0; the capture may hold every sign-in (filter = all)."""
    rows = [sign_in("ok", "2026-11-27T10:00:00Z", 0), sign_in("bad", "2026-11-27T10:00:00Z")]
    assert compute_kri(tmp_path, SLUG, sign_ins=rows, sign_in_filter="all").value == 1


def test_seven_fractional_digits_parse(tmp_path):
    """shared terms: timestamps carry 0 to 7 fractional digits."""
    result = compute_kri(tmp_path, SLUG, sign_ins=[sign_in("s", "2026-11-27T10:00:00.1234567Z")])
    assert result.value == 1


def test_sign_ins_refused_gives_zero_degraded(tmp_path):
    """fail-safe: /auditLogs/signIns refused -> 0 (nothing to measure), degraded."""
    result = compute_kri(
        tmp_path, SLUG, sign_ins=[sign_in("s", "2026-11-27T10:00:00Z")], refused={"sign_ins": 403}
    )
    assert result.value == 0
    assert result.degraded is True
    (warning,) = result.warnings
    assert "/auditLogs/signIns" in warning
    assert "HTTP 403" in warning
