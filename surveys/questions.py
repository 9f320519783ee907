"""The SIPAS questionnaire shipped with the portal (version 1) and the answer scale.

Both the data migration and ``services.questionnaire_create_default`` read these, so a
fresh database, a flushed test database and the demo tell the same questions.
"""

from django.utils.translation import gettext_lazy as _

SCALE_MIN, SCALE_MAX = 1, 5
# "Satisfied" means satisfied or very satisfied: 4 or 5 on the scale.
SATISFIED_FROM = 4

SCALE = [
    (1, _("Rất không hài lòng"), "😠"),
    (2, _("Không hài lòng"), "😞"),
    (3, _("Bình thường"), "😐"),
    (4, _("Hài lòng"), "😊"),
    (5, _("Rất hài lòng"), "😄"),
]

DEFAULT_TITLE = "Phiếu khảo sát sự hài lòng của người dân, tổ chức (SIPAS)"

# code, element, text: two questions for each of the five SIPAS elements, then the overall one.
DEFAULT_QUESTIONS = [
    (
        "Q1",
        "access",
        "Nơi ngồi chờ tại Bộ phận Một cửa đủ chỗ, sạch sẽ, thoáng mát.",
    ),
    (
        "Q2",
        "access",
        "Trang thiết bị phục vụ người dân (bàn ghế, máy tra cứu, nước uống...) đầy đủ, dễ dùng.",
    ),
    (
        "Q3",
        "procedures",
        "Thủ tục hành chính được niêm yết công khai, đầy đủ, dễ tìm, dễ hiểu.",
    ),
    (
        "Q4",
        "procedures",
        "Thành phần hồ sơ, phí và lệ phí phải nộp đúng như quy định đã niêm yết.",
    ),
    (
        "Q5",
        "civil_servants",
        "Công chức có thái độ giao tiếp lịch sự, tôn trọng, thân thiện với người dân.",
    ),
    (
        "Q6",
        "civil_servants",
        "Công chức hướng dẫn kê khai hồ sơ tận tình, chu đáo, dễ hiểu; không gây phiền hà.",
    ),
    (
        "Q7",
        "results",
        "Kết quả giải quyết được trả đúng hẹn hoặc sớm hơn hẹn.",
    ),
    (
        "Q8",
        "results",
        "Kết quả giải quyết đúng quy định, thông tin trên kết quả đầy đủ, chính xác.",
    ),
    (
        "Q9",
        "feedback",
        "Có nơi, có cách góp ý, phản ánh, kiến nghị thuận tiện (hòm thư, đường dây nóng, mã QR).",
    ),
    (
        "Q10",
        "feedback",
        "Góp ý, phản ánh, kiến nghị được tiếp nhận và trả lời kịp thời, thỏa đáng.",
    ),
    (
        "Q11",
        "overall",
        "Nhìn chung, Ông/Bà hài lòng như thế nào với việc phục vụ của Bộ phận Một cửa?",
    ),
]
