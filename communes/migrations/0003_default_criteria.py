"""The default checklist of Bắc Giang's friendly-government model, shipped as data.

Admins edit it afterwards (Criterion admin); this migration only creates the criteria
that do not exist yet, so it never overwrites an edit. Scored criteria carry points:
35 points in 2023 and 40 from 2024 (CNTT-02 applies from 2024); required criteria
carry none, they must all be approved.
"""

from decimal import Decimal

from django.db import migrations

EVIDENCE, MEASURED, SURVEY = "evidence", "measured", "survey"

# code, group, kind, required, points, threshold, unit, active_from, title, how_met
CRITERIA = [
    (
        "CSVC-01", "facilities", EVIDENCE, True, 0, None, "", 2023,
        "Băng rôn, khẩu hiệu tuyên truyền mô hình “Chính quyền thân thiện” tại trụ sở "
        "và Bộ phận một cửa",
        "Ảnh chụp băng rôn, khẩu hiệu treo tại cổng trụ sở và tại Bộ phận một cửa, thấy rõ "
        "nội dung và vị trí. Cần ít nhất 1 tệp (ảnh hoặc PDF).",
    ),
    (
        "CSVC-02", "facilities", EVIDENCE, True, 0, None, "", 2023,
        "Niêm yết khẩu hiệu “4 xin, 4 luôn, 5 không” tại Bộ phận một cửa",
        "Ảnh chụp bảng khẩu hiệu “4 xin, 4 luôn, 5 không” niêm yết ở nơi người dân dễ nhìn "
        "thấy tại Bộ phận một cửa. Cần ít nhất 1 tệp ảnh.",
    ),
    (
        "CSVC-03", "facilities", EVIDENCE, True, 0, None, "", 2023,
        "Sử dụng mẫu thư xin lỗi, thư cảm ơn người dân",
        "Mẫu thư xin lỗi (khi hồ sơ trễ hẹn, sai sót) và thư cảm ơn đã được ban hành, kèm "
        "bản chụp ít nhất một thư đã gửi người dân trong năm (PDF, Word hoặc ảnh).",
    ),
    (
        "CSVC-04", "facilities", EVIDENCE, False, 5, None, "", 2023,
        "Khu vực chờ có đủ ghế ngồi, nước uống, quạt hoặc điều hòa",
        "Ảnh chụp khu vực chờ của Bộ phận một cửa: ghế ngồi, nước uống, quạt hoặc điều hòa. "
        "Được 5 điểm khi minh chứng được duyệt.",
    ),
    (
        "CSVC-05", "facilities", EVIDENCE, False, 5, None, "", 2023,
        "Hệ thống xếp hàng, cấp số thứ tự tự động",
        "Ảnh chụp máy cấp số thứ tự và màn hình hiển thị số đang phục vụ. Được 5 điểm khi "
        "minh chứng được duyệt.",
    ),
    (
        "CSVC-06", "facilities", EVIDENCE, True, 0, None, "", 2023,
        "Niêm yết công khai thủ tục hành chính và mã QR tra cứu hồ sơ",
        "Ảnh chụp bảng (hoặc màn hình) niêm yết các thủ tục hành chính đang áp dụng, phí, "
        "lệ phí, thời hạn giải quyết và mã QR tra cứu hồ sơ.",
    ),
    (
        "TDCB-01", "conduct", EVIDENCE, True, 0, None, "", 2023,
        "Quy tắc ứng xử của cán bộ, công chức được ban hành và niêm yết",
        "Quyết định ban hành Quy tắc ứng xử của cán bộ, công chức xã (PDF hoặc Word) và ảnh "
        "chụp bản niêm yết tại Bộ phận một cửa.",
    ),
    (
        "TDCB-02", "conduct", EVIDENCE, True, 0, None, "", 2023,
        "Công chức đeo thẻ, có biển chức danh tại vị trí làm việc",
        "Ảnh chụp công chức Bộ phận một cửa khi làm việc: đeo thẻ công chức, có biển chức "
        "danh trên bàn.",
    ),
    (
        "TDCB-03", "conduct", EVIDENCE, True, 0, None, "", 2023,
        "Hòm thư góp ý, số điện thoại đường dây nóng được công khai",
        "Ảnh chụp hòm thư góp ý và bảng công khai số điện thoại đường dây nóng của Chủ tịch "
        "UBND xã; kèm sổ theo dõi tiếp nhận, xử lý phản ánh nếu có.",
    ),
    (
        "TDCB-04", "conduct", EVIDENCE, False, 5, None, "", 2023,
        "Công chức được tập huấn kỹ năng giao tiếp, ứng xử với người dân",
        "Kế hoạch, danh sách học viên hoặc ảnh buổi tập huấn kỹ năng giao tiếp trong năm. "
        "Được 5 điểm khi minh chứng được duyệt.",
    ),
    (
        "TTHC-01", "procedures", MEASURED, True, 0, Decimal("95"), "%", 2023,
        "Tỷ lệ hồ sơ thủ tục hành chính giải quyết đúng hạn",
        "Số hồ sơ giải quyết đúng hạn hoặc trước hạn chia cho số hồ sơ đã giải quyết trong "
        "năm, theo Bộ chỉ số phục vụ người dân, doanh nghiệp. Nhập tỷ lệ (%); đạt khi từ 95% "
        "trở lên. Nên kèm báo cáo trích xuất từ Hệ thống thông tin giải quyết thủ tục hành "
        "chính của tỉnh.",
    ),
    (
        "TTHC-02", "procedures", EVIDENCE, False, 5, None, "", 2023,
        "Gửi thư xin lỗi cho 100% hồ sơ trễ hẹn",
        "Danh sách hồ sơ trễ hẹn trong năm kèm thư xin lỗi tương ứng, hoặc văn bản xác nhận "
        "không có hồ sơ trễ hẹn. Được 5 điểm khi minh chứng được duyệt.",
    ),
    (
        "CNTT-01", "it", MEASURED, True, 0, Decimal("50"), "%", 2023,
        "Tỷ lệ hồ sơ thủ tục hành chính tiếp nhận trực tuyến",
        "Số hồ sơ nộp trực tuyến (dịch vụ công trực tuyến toàn trình và một phần) chia cho "
        "tổng số hồ sơ tiếp nhận trong năm. Nhập tỷ lệ (%); đạt khi từ 50% trở lên. Nên kèm "
        "báo cáo thống kê từ Cổng dịch vụ công.",
    ),
    (
        "CNTT-02", "it", MEASURED, False, 5, Decimal("30"), "%", 2024,
        "Tỷ lệ hồ sơ thanh toán phí, lệ phí trực tuyến",
        "Số hồ sơ có phí, lệ phí được thanh toán trực tuyến chia cho số hồ sơ có phí, lệ phí "
        "trong năm. Được 5 điểm khi được duyệt và đạt từ 30% trở lên. Áp dụng từ năm 2024.",
    ),
    (
        "CNTT-03", "it", EVIDENCE, False, 5, None, "", 2023,
        "Kênh tương tác trực tuyến với người dân (Zalo OA, trang thông tin điện tử)",
        "Ảnh chụp màn hình kênh Zalo OA hoặc trang thông tin điện tử của xã có mục hỏi đáp, "
        "phản ánh, kèm số lượt trả lời trong năm. Được 5 điểm khi minh chứng được duyệt.",
    ),
    (
        "HL-01", "satisfaction", SURVEY, True, 0, None, "%", 2023,
        "Tỷ lệ người dân hài lòng với Bộ phận một cửa",
        "Tính tự động từ phiếu khảo sát tại quầy có ngày trả lời trong năm: cần đủ số phiếu "
        "tối thiểu (mặc định 30) và tỷ lệ “hài lòng” hoặc “rất hài lòng” đạt ngưỡng (mặc định "
        "85%) của quy tắc công nhận năm đó. Không tải minh chứng, không cần duyệt.",
    ),
    (
        "TT-01", "communication", EVIDENCE, True, 0, None, "", 2023,
        "Tuyên truyền mô hình “Chính quyền thân thiện” đến người dân",
        "Bài viết trên trang thông tin điện tử, tin phát trên loa truyền thanh hoặc ảnh hội "
        "nghị triển khai mô hình trong năm. Cần ít nhất 1 tệp.",
    ),
    (
        "TT-02", "communication", EVIDENCE, False, 10, None, "", 2023,
        "Áp dụng, nhân rộng cách làm hay (như “Ngày thứ 6 nhanh”)",
        "Văn bản hoặc ảnh cho thấy xã áp dụng một cách làm hay trong năm, như “Ngày thứ 6 "
        "nhanh” của phường Lê Lợi: tăng cường cán bộ vào thứ Sáu, giải quyết ngay trong ngày "
        "các thủ tục thường mất 1–3 ngày làm việc. Được 10 điểm khi minh chứng được duyệt.",
    ),
]


def create_default_criteria(apps, schema_editor):
    Criterion = apps.get_model("communes", "Criterion")
    for order, row in enumerate(CRITERIA, start=1):
        code, group, kind, required, points, threshold, unit, active_from, title, how_met = row
        Criterion.objects.get_or_create(
            code=code,
            defaults={
                "group": group,
                "kind": kind,
                "is_required": required,
                "points": points,
                "threshold": threshold,
                "unit": unit,
                "active_from": active_from,
                "title": title,
                "how_met": how_met,
                "order": order * 10,
            },
        )


def remove_unused_default_criteria(apps, schema_editor):
    Criterion = apps.get_model("communes", "Criterion")
    codes = [row[0] for row in CRITERIA]
    Criterion.objects.filter(code__in=codes, evidence__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("communes", "0002_evidence_snapshot_and_thumbnails"),
    ]

    operations = [
        migrations.RunPython(create_default_criteria, remove_unused_default_criteria),
    ]
