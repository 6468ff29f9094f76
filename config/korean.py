"""Korean particles (조사) chosen by the sound a word ends with.

Translations are built from placeholders, so a particle after a number, a
title or a unit cannot be fixed in the .po file: "약정 #3을(를)" must become
"약정 #3을" and "4상자을(를)" "4상자를". `josa(word, "을/를")` picks one for a
word; `particles(text)` resolves every "을(를)"-style pair in a finished
message from the character before it. Digits are read as Korean numbers
(3 → 삼, 10 → 십), Latin letters by their usual Korean names (L → 엘).
"""

from __future__ import annotations

import re

HANGUL_FIRST, HANGUL_LAST = 0xAC00, 0xD7A3
RIEUL = 8  # ㄹ as a final consonant (jongseong index)

#: Final consonant of the reading of each digit: 0 none, RIEUL, or other (1).
_DIGIT_FINAL = {
    "0": 1,  # 영
    "1": RIEUL,  # 일
    "2": 0,  # 이
    "3": 1,  # 삼
    "4": 0,  # 사
    "5": 0,  # 오
    "6": 1,  # 육
    "7": RIEUL,  # 칠
    "8": RIEUL,  # 팔
    "9": 0,  # 구
}
#: Latin letters whose Korean name ends in a consonant (엘, 엠, 엔, 알).
_LATIN_FINAL = {"l": RIEUL, "m": 1, "n": 1, "r": RIEUL}

#: Each pair: (with a final consonant, without).
PAIRS = {
    "을/를": ("을", "를"),
    "이/가": ("이", "가"),
    "은/는": ("은", "는"),
    "과/와": ("과", "와"),
    "와/과": ("과", "와"),
    "으로/로": ("으로", "로"),
    "이에요/예요": ("이에요", "예요"),
    "이다/다": ("이다", "다"),
}
_WRITTEN_PAIR = {
    "을(를)": "을/를",
    "를(을)": "을/를",
    "이(가)": "이/가",
    "가(이)": "이/가",
    "은(는)": "은/는",
    "는(은)": "은/는",
    "과(와)": "과/와",
    "와(과)": "과/와",
    "(으)로": "으로/로",
}
_WRITTEN = re.compile("|".join(re.escape(written) for written in _WRITTEN_PAIR))
#: Closing marks looked through to find the word's last sound.
_CLOSING = "\"'”’)]」』》〉>*"


def final_sound(word: str) -> int | None:
    """0 when the word ends in a vowel, RIEUL when in ㄹ, 1 for another final
    consonant; None when it cannot be told (empty, or ends in a symbol)."""
    word = word.rstrip().rstrip(_CLOSING).rstrip()
    if not word:
        return None
    last = word[-1]
    code = ord(last)
    if HANGUL_FIRST <= code <= HANGUL_LAST:
        final = (code - HANGUL_FIRST) % 28
        return RIEUL if final == RIEUL else (1 if final else 0)
    if last.isdigit() and last.isascii():
        digits = re.search(r"[0-9,]*$", word).group(0).replace(",", "")
        stripped = digits.rstrip("0")
        zeros = len(digits) - len(stripped)
        if not stripped:  # 0 → 영
            return 1
        if zeros == 0:
            return _DIGIT_FINAL[last]
        # 십, 백, 천 end in a consonant; 만 (10^4–10^7) and 억 (10^8–) too.
        return 1
    if last.isascii() and last.isalpha():
        return _LATIN_FINAL.get(last.lower(), 0)
    return None


def josa(word: str, pair: str) -> str:
    """The word with the particle of `pair` ("을/를", "이/가", "은/는",
    "과/와", "으로/로") that fits its last sound."""
    with_final, without = PAIRS[pair]
    sound = final_sound(str(word))
    if sound is None:
        return f"{word}{with_final}({without})"
    if pair == "으로/로":
        return f"{word}{without if sound in (0, RIEUL) else with_final}"
    return f"{word}{with_final if sound else without}"


def particles(text: str) -> str:
    """Resolve every written-out pair ("을(를)", "이(가)", "(으)로" …) in a message
    from the character before it; a pair after something unreadable stays."""

    def pick(match: re.Match[str]) -> str:
        before = text[: match.start()]
        pair = _WRITTEN_PAIR[match.group(0)]
        if final_sound(before) is None:
            return match.group(0)
        return josa(before, pair)[len(before) :]

    return _WRITTEN.sub(pick, str(text))


def business_number(number: str) -> str:
    """1248100998 → 124-81-00998, as a business registration number is printed."""
    digits = str(number)
    return f"{digits[:3]}-{digits[3:5]}-{digits[5:]}" if len(digits) == 10 else digits
