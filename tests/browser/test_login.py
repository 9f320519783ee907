import pytest

from tests.browser.conftest import login


@pytest.mark.parametrize(
    ("username", "lands_on", "sees"),
    [
        # Every role lands on its worklist ("Việc cần làm", issue 13).
        ("admin", "/work/", "Quản trị hệ thống"),
        ("tinh", "/work/", "Cán bộ cấp tỉnh"),
        ("huyen.lucnam", "/work/", "Cán bộ cấp huyện"),
        ("xa.doingo", "/work/", "Thị trấn Đồi Ngô"),
        ("xa.leloi", "/work/", "Phường Lê Lợi"),
    ],
)
def test_each_demo_role_logs_in_and_lands_on_its_page(
    page, demo_accounts, username, lands_on, sees
):
    login(page, username)
    assert page.url.startswith(page.base_url + lands_on)
    assert sees in page.content()
    assert page.js_errors == []


def test_a_wrong_password_keeps_the_user_on_the_login_page(page, demo_accounts):
    login(page, "tinh", password="wrong")
    assert "/accounts/login/" in page.url
    assert page.locator(".alert-danger, .invalid-feedback, .errorlist").count() > 0


def test_the_language_switch_turns_the_interface_to_english_and_back(page, demo_accounts):
    page.goto(f"{page.base_url}/accounts/login/")
    assert page.locator("html").get_attribute("lang") == "vi"
    # Choosing a language submits a form: wait for that page, not for the current one to
    # be idle (it already is, and a busy machine would read the old page).
    with page.expect_navigation():
        page.select_option("#language-select", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Log in"
    with page.expect_navigation():
        page.select_option("#language-select", "vi")
    assert page.locator("h1").inner_text() == "Đăng nhập"
    assert page.js_errors == []


def test_logging_out_returns_to_the_login_page(page, demo_accounts):
    login(page, "tinh")
    page.click("nav form[action$='/logout/'] button")
    page.wait_for_load_state("networkidle")
    assert "Bạn đã đăng xuất" in page.content()
