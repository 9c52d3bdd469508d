from backprop_lib.exercises.start import check_warmup


def test_solution_is_correct():
    assert check_warmup(2 * 3 + (-1)).status == "correct"


def test_stub_is_not_attempted():
    result = check_warmup(None)
    assert result.status == "not attempted"
    assert "not attempted yet" in str(result)


def test_forgotten_bias_gets_a_hint():
    result = check_warmup(6)
    assert result.status == "incorrect"
    assert "bias" in result.message


def test_sign_of_bias_gets_a_hint():
    assert "subtracted" in check_warmup(7).message


def test_non_number_is_explained():
    assert "number" in check_warmup("five").message
