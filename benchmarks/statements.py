"""Synthetic answers to the assessment sheet: what units write under each heading, at scale.

Real units each write their own statements, and some say what other units say: the same
sentence (a phrase of the Plan, a shared difficulty), sometimes with a letter or two off, in
another case or with a bullet. ``answers`` makes such answers for any number of units: most
statements are the unit's own (built from parts, so they share words but not sentences), a
``shared`` part come from a small common pool, and a ``typos`` part of those are misspelled.
"""

from __future__ import annotations

import random

TOPICS = [
    "Kinh phí hỗ trợ",
    "Nguồn lực đầu tư",
    "Cơ sở vật chất",
    "Đội ngũ cán bộ cơ sở",
    "Công tác tuyên truyền",
    "Sự phối hợp giữa các ngành",
    "Ý thức của một bộ phận người dân",
    "Việc sơ kết, tổng kết",
    "Điều kiện đi lại",
    "Thông tin về mô hình",
    "Nguồn vốn vay ưu đãi",
    "Sự tham gia của đoàn viên, hội viên",
]
VERBS = [
    "cho việc duy trì",
    "để nhân rộng",
    "phục vụ hoạt động của",
    "trong việc xây dựng",
    "khi triển khai",
    "nhằm phát huy",
]
OBJECTS = [
    "mô hình dân vận khéo",
    "tổ hòa giải ở cơ sở",
    "hợp tác xã nuôi trồng thủy sản",
    "câu lạc bộ văn hóa dân gian",
    "tổ an ninh tự quản",
    "điểm sinh hoạt cộng đồng",
    "tuyến đường hoa nông thôn mới",
    "mô hình chuyển đổi số",
]
STATES = [
    "còn hạn chế",
    "chưa đáp ứng yêu cầu",
    "chưa được quan tâm đúng mức",
    "còn chậm, chưa đồng bộ",
    "gặp nhiều khó khăn",
    "chưa thường xuyên",
]
PLACES = ["thôn", "bản", "tổ dân phố", "khu phố", "buôn", "ấp"]
NAMES = ["Tân Phú", "Vĩnh Hòa", "Ninh Ích", "Cam Thành", "Tô Hạp", "Phước Đồng", "Diên Lạc", "Sơn Bình"]
COMMON = [  # said by many units in the same words
    "Kinh phí hỗ trợ còn hạn chế.",
    "Ít báo chí đưa tin về các mô hình.",
    "Cơ sở vật chất phục vụ hoạt động còn thiếu.",
    "Đề nghị tỉnh bố trí kinh phí khen thưởng kịp thời.",
    "Đề nghị tổ chức tập huấn cho cán bộ cơ sở.",
    "Việc nhân rộng mô hình còn chậm.",
    "Một số mô hình chưa duy trì thường xuyên.",
    "Đề nghị biểu dương các điển hình tiêu biểu hằng năm.",
    "Sự phối hợp giữa các ngành chưa chặt chẽ.",
    "Đề nghị có cơ chế hỗ trợ vốn cho mô hình kinh tế.",
    "Địa bàn rộng, dân cư phân tán.",
    "Trình độ dân trí không đồng đều.",
]


WORDS = [
    "người",
    "dân",
    "cán",
    "bộ",
    "đảng",
    "viên",
    "hội",
    "viên",
    "đoàn",
    "viên",
    "thôn",
    "xã",
    "phường",
    "huyện",
    "tỉnh",
    "vốn",
    "đất",
    "đường",
    "điện",
    "nước",
    "trường",
    "học",
    "trạm",
    "y",
    "tế",
    "chợ",
    "nhà",
    "văn",
    "hóa",
    "sân",
    "thể",
    "thao",
    "rừng",
    "biển",
    "đầm",
    "tôm",
    "cá",
    "lúa",
    "cà",
    "phê",
    "tiêu",
    "điều",
    "sắn",
    "bò",
    "heo",
    "gà",
    "yến",
    "sào",
    "du",
    "lịch",
    "cộng",
    "đồng",
    "làng",
    "nghề",
    "gốm",
    "dệt",
    "thổ",
    "cẩm",
    "mây",
    "tre",
    "lá",
    "hợp",
    "tác",
    "xã",
    "tổ",
    "hợp",
    "tác",
    "doanh",
    "nghiệp",
    "nông",
    "dân",
    "phụ",
    "nữ",
    "cựu",
    "chiến",
    "binh",
    "thanh",
    "niên",
    "thiếu",
    "nhi",
    "người",
    "cao",
    "tuổi",
    "đồng",
    "bào",
    "dân",
    "tộc",
    "thiểu",
    "số",
    "vùng",
    "sâu",
    "vùng",
    "xa",
    "bãi",
    "ngang",
    "ven",
    "biển",
    "miền",
    "núi",
    "hải",
    "đảo",
    "lũ",
    "lụt",
    "hạn",
    "hán",
    "sạt",
    "lở",
    "bão",
    "xâm",
    "nhập",
    "mặn",
    "giá",
    "cả",
    "thị",
    "trường",
    "tiêu",
    "thụ",
    "sản",
    "phẩm",
    "giống",
    "vật",
    "tư",
    "phân",
    "bón",
    "kỹ",
    "thuật",
    "chuyển",
    "đổi",
    "số",
    "camera",
    "internet",
    "điện",
    "thoại",
    "thông",
    "minh",
    "sổ",
    "sách",
    "hồ",
    "sơ",
    "thủ",
    "tục",
    "giấy",
    "tờ",
    "quy",
    "hoạch",
    "đền",
    "bù",
    "giải",
    "phóng",
    "mặt",
    "bằng",
    "an",
    "ninh",
    "trật",
    "tự",
    "ma",
    "túy",
    "trộm",
    "cắp",
    "hòa",
    "giải",
    "tranh",
    "chấp",
    "khiếu",
    "nại",
]


def statement(rng: random.Random, unit: int, n: int) -> str:
    """A unit's own statement: a heading many units use, then its own words (3 to 14)."""
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(3, 14)))
    return (
        f"{rng.choice(TOPICS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} về {words} "
        f"ở {rng.choice(PLACES)} {rng.choice(NAMES)} {rng.choice(STATES)}."
    )


def misspelled(rng: random.Random, text: str) -> str:
    """``text`` with one letter changed, dropped or doubled (not the first, nor the stop)."""
    at = rng.randrange(1, max(2, len(text) - 2))
    how = rng.choice(("change", "drop", "double"))
    if how == "change":
        return text[:at] + rng.choice("aăâeêioôơuưy") + text[at + 1 :]
    if how == "drop":
        return text[:at] + text[at + 1 :]
    return text[:at] + text[at] + text[at:]


def answers(
    rng: random.Random, unit: int, *, statements: int = 3, shared: float = 0.3, typos: float = 0.15
) -> str:
    """One unit's answer under one heading: ``statements`` lines, each shared with other units
    (with probability ``shared``, then misspelled with probability ``typos``) or its own."""
    lines = []
    for n in range(statements):
        if rng.random() < shared:
            text = rng.choice(COMMON)
            if rng.random() < typos:
                text = misspelled(rng, text)
            elif rng.random() < 0.2:
                text = text.lower().rstrip(".")  # the same words, as typed
        else:
            text = statement(rng, unit, n)
        lines.append(("- " if rng.random() < 0.5 else "") + text)
    return "\n".join(lines)
