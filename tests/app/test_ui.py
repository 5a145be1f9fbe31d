"""The pages' shared helpers: one path from a learner's mistake to an actionable message."""

from streamlit.testing.v1 import AppTest


def raises_in_friendly_errors(message: str) -> AppTest:
    def script(message: str) -> None:
        from ui import friendly_errors

        with friendly_errors("The expression"):
            raise RuntimeError(message)

    return AppTest.from_function(script, kwargs={"message": message}).run(timeout=30)


def test_a_pytorch_error_keeps_its_message_and_gets_a_hint():
    at = raises_in_friendly_errors("mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)")
    assert not at.exception
    assert "mat1 and mat2 shapes cannot be multiplied (2x3 and 2x3)" in at.error[0].value
    assert at.info and "Hint" in at.info[0].value and ".T" in at.info[0].value


def test_an_error_with_no_known_hint_gets_the_message_alone():
    at = raises_in_friendly_errors("something nobody has seen before")
    assert not at.exception and "something nobody has seen before" in at.error[0].value and not at.info
