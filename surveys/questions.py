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

# The same questions in English, by code: the reader of the English interface sees these.
DEFAULT_QUESTIONS_EN = {
    "Q1": "The waiting area of the one-stop desk has enough seats and is clean and airy.",
    "Q2": "The equipment for citizens (desks, chairs, look-up terminal, drinking water...) is "
    "complete and easy to use.",
    "Q3": "Administrative procedures are posted publicly, in full, easy to find and understand.",
    "Q4": "The documents, fees and charges asked for are exactly those posted.",
    "Q5": "Civil servants are polite, respectful and friendly towards citizens.",
    "Q6": "Civil servants explain how to fill in the file patiently, carefully and clearly, "
    "without causing trouble.",
    "Q7": "The result was returned on the date promised or earlier.",
    "Q8": "The result complies with the rules, and the information on it is complete and correct.",
    "Q9": "There is a convenient place and way to give feedback, report problems or make "
    "suggestions (letter box, hotline, QR code).",
    "Q10": "Feedback, reports and suggestions are received and answered promptly and properly.",
    "Q11": "Overall, how satisfied are you with the service of the one-stop desk?",
}
