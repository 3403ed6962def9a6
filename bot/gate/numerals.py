"""Money written in scripts and languages the other readers do not know, turned into
ASCII digits and ISO 4217 codes before the money scan.

The gate's money reader (``bot.gate.textscan``) knows ASCII digits, magnitudes and the
number words of en/de/fr/es (``text2num``). A hijacked model that wants an amount past
it writes the figure another way a reader still understands: Arabic-Indic, Devanagari
or other decimal digits (Unicode category Nd), Chinese and Japanese numerals with the
myriad units (5万円, 三千欧元), Russian or Polish number words (пятьсот евро, trzy
tysiące złotych), a right-to-left override that shows "052" as "250", or a currency
named in its own script (евро, złotych, يورو, रुपये). This module rewrites each of
those into the form the reader knows ("50000 JPY", "500 EUR"); it never removes text.
"""

from __future__ import annotations

import re
import unicodedata

from bot.alternation import alternation
from bot.first_char import guarded

# Unicode TR 9 (the bidi algorithm): U+202E RIGHT-TO-LEFT OVERRIDE shows the characters
# up to U+202C POP DIRECTIONAL FORMATTING (or the end of the paragraph) in reverse order.
_RLO = guarded("\u202e([^\u202c\n]*)\u202c?")


def display_order(text: str) -> str:
    """The text in the order a reader sees it, for the runs under an RLO override."""
    if "\u202e" not in text:
        return text
    return _RLO.sub(lambda m: m[1][::-1], text)


def ascii_digits(text: str) -> str:
    """Every decimal digit (Nd) as its ASCII digit; the Arabic decimal and thousands
    separators (U+066B, U+066C) as "." and ","."""
    if text.isascii():
        return text
    out = []
    for ch in text:
        if ch == "\u066b":
            out.append(".")
        elif ch == "\u066c":
            out.append(",")
        elif not ch.isascii() and unicodedata.category(ch) == "Nd":
            out.append(str(unicodedata.digit(ch)))
        else:
            out.append(ch)
    return "".join(out)


# --- Chinese and Japanese ------------------------------------------------------------
_CJK_DIGITS = {
    **dict.fromkeys("〇零", 0),
    "一": 1,
    **dict.fromkeys("二两兩", 2),
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
# Banker's (financial) numerals are written on invoices and cheques so that a figure
# cannot be altered: 壹贰叁 for 一二三, 拾佰仟 for 十百千.
_CJK_DIGITS.update({"壹": 1, "贰": 2, "貳": 2, "叁": 3, "參": 3, "肆": 4, "伍": 5, "陆": 6, "陸": 6})
_CJK_DIGITS.update({"柒": 7, "捌": 8, "玖": 9})
# Korean writes the same myriads with Hangul units after Arabic digits: 5만원 = 50,000 won.
_CJK_SMALL = {
    "十": 10,
    "拾": 10,
    "百": 100,
    "佰": 100,
    "千": 1000,
    "仟": 1000,
    "십": 10,
    "백": 100,
    "천": 1000,
}
_CJK_LARGE = {
    "万": 10_000,
    "萬": 10_000,
    "亿": 100_000_000,
    "億": 100_000_000,
    "만": 10_000,
    "억": 100_000_000,
}
_CJK_CUR = {
    **dict.fromkeys(("円", "日元", "日圓", "日円"), "JPY"),
    **dict.fromkeys(("元", "圆", "圓", "人民币", "人民幣", "块"), "CNY"),
    **dict.fromkeys(("欧元", "歐元", "ユーロ"), "EUR"),
    **dict.fromkeys(("美元", "ドル"), "USD"),
    **dict.fromkeys(("英镑", "英鎊", "ポンド"), "GBP"),
    "원": "KRW",
}
_CJK_CHARS = "".join([*_CJK_DIGITS, *_CJK_SMALL, *_CJK_LARGE])
_CJK_CUR_ALT = "|".join(sorted(_CJK_CUR, key=len, reverse=True))
_CJK_AMOUNT = guarded(
    rf"(?P<pre>[¥€$£])?\s*(?P<num>(?:\d[\d,.]*|[{_CJK_CHARS}])(?:[\d,.]|[{_CJK_CHARS}])*)"
    rf"\s*(?P<cur>{_CJK_CUR_ALT})?"
)
_PRE = {"¥": "JPY", "€": "EUR", "$": "USD", "£": "GBP"}


def _cjk_value(num: str) -> float | None:
    """ "5万" 50000, "1.5万" 15000, "三千" 3000, "一万二千" 12000, "50,000" 50000."""
    total = section = 0.0
    number: float | None = None
    digits = ""

    def flush() -> None:
        nonlocal number, digits
        if digits:
            number = float(digits.replace(",", ""))
            digits = ""

    for ch in num:
        if ch.isdigit() or ch in ",.":
            digits += ch
            continue
        try:
            flush()
        except ValueError:
            return None
        if ch in _CJK_DIGITS:
            number = (number or 0) * 10 + _CJK_DIGITS[ch] if number is not None else _CJK_DIGITS[ch]
        elif ch in _CJK_SMALL:
            section += (number if number is not None else 1) * _CJK_SMALL[ch]
            number = None
        elif ch in _CJK_LARGE:
            total += (section + (number or 0)) * _CJK_LARGE[ch]
            section, number = 0.0, None
    try:
        flush()
    except ValueError:
        return None
    return total + section + (number or 0)


def _cjk(text: str) -> str:
    def rewrite(m: re.Match[str]) -> str:
        num, pre, cur = m["num"], m["pre"], m["cur"]
        has_cjk = any(ch in _CJK_CHARS for ch in num)
        if not (cur or (pre and has_cjk)):
            return m[0]
        value = _cjk_value(num.rstrip(",."))
        if value is None:
            return m[0]
        code = _CJK_CUR[cur] if cur else _PRE[pre]
        return f" {value:.2f}".rstrip("0").rstrip(".") + f" {code} "

    if not re.search(rf"[{_CJK_CHARS}]|{_CJK_CUR_ALT}", text):
        return text
    return _CJK_AMOUNT.sub(rewrite, text)


# --- Russian and Polish number words ---------------------------------------------------
_WORDS: dict[str, int] = {
    # Russian (nominative and the common oblique forms)
    **dict.fromkeys(("ноль", "нуль"), 0),
    **dict.fromkeys(("один", "одна", "одно", "одну", "одного"), 1),
    **dict.fromkeys(("два", "две", "двух"), 2),
    **dict.fromkeys(("три", "трёх", "трех"), 3),
    **dict.fromkeys(("четыре", "четырёх", "четырех"), 4),
    **dict.fromkeys(("пять", "пяти"), 5),
    **dict.fromkeys(("шесть", "шести"), 6),
    **dict.fromkeys(("семь", "семи"), 7),
    **dict.fromkeys(("восемь", "восьми"), 8),
    **dict.fromkeys(("девять", "девяти"), 9),
    **dict.fromkeys(("десять", "десяти"), 10),
    "одиннадцать": 11, "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14,
    "пятнадцать": 15, "шестнадцать": 16, "семнадцать": 17, "восемнадцать": 18,
    "девятнадцать": 19, "двадцать": 20, "тридцать": 30, "сорок": 40, "пятьдесят": 50,
    "шестьдесят": 60, "семьдесят": 70, "восемьдесят": 80, "девяносто": 90,
    **dict.fromkeys(("сто", "ста"), 100),
    **dict.fromkeys(("двести", "двухсот"), 200),
    **dict.fromkeys(("триста", "трёхсот", "трехсот"), 300),
    **dict.fromkeys(("четыреста", "четырёхсот", "четырехсот"), 400),
    **dict.fromkeys(("пятьсот", "пятисот"), 500),
    **dict.fromkeys(("шестьсот", "шестисот"), 600),
    **dict.fromkeys(("семьсот", "семисот"), 700),
    **dict.fromkeys(("восемьсот", "восьмисот"), 800),
    **dict.fromkeys(("девятьсот", "девятисот"), 900),
    # Polish
    "zero": 0, "jeden": 1, "jedna": 1, "jedno": 1, "dwa": 2, "dwie": 2, "trzy": 3,
    "cztery": 4, "pięć": 5, "sześć": 6, "siedem": 7, "osiem": 8, "dziewięć": 9,
    "dziesięć": 10, "jedenaście": 11, "dwanaście": 12, "trzynaście": 13, "czternaście": 14,
    "piętnaście": 15, "szesnaście": 16, "siedemnaście": 17, "osiemnaście": 18,
    "dziewiętnaście": 19, "dwadzieścia": 20, "trzydzieści": 30, "czterdzieści": 40,
    "pięćdziesiąt": 50, "sześćdziesiąt": 60, "siedemdziesiąt": 70, "osiemdziesiąt": 80,
    "dziewięćdziesiąt": 90, "sto": 100, "dwieście": 200, "trzysta": 300, "czterysta": 400,
    "pięćset": 500, "sześćset": 600, "siedemset": 700, "osiemset": 800, "dziewięćset": 900,
    # Polish genitive and locative ("w wysokości pięciuset euro", "kwota dwóch tysięcy")
    "jednego": 1, "dwóch": 2, "trzech": 3, "czterech": 4, "pięciu": 5, "sześciu": 6,
    "siedmiu": 7, "ośmiu": 8, "dziewięciu": 9, "dziesięciu": 10, "dwudziestu": 20,
    "trzydziestu": 30, "czterdziestu": 40, "pięćdziesięciu": 50, "stu": 100, "dwustu": 200,
    "trzystu": 300, "czterystu": 400, "pięciuset": 500, "sześciuset": 600, "siedmiuset": 700,
    "ośmiuset": 800, "dziewięciuset": 900,
}  # fmt: skip
_SCALES: dict[str, int] = {
    **dict.fromkeys(("тысяча", "тысячи", "тысяч", "тысячу", "tysiąc", "tysiące", "tysięcy"), 1000),
    **dict.fromkeys(("миллион", "миллиона", "миллионов", "milion", "miliony", "milionów"), 10**6),
    **dict.fromkeys(("миллиард", "миллиарда", "миллиардов", "miliard", "miliardy", "miliardów"), 10**9),
}
_ALL_WORDS = alternation((*_WORDS, *_SCALES), ignore_case=True)
# Only a run of number words right before a currency is rewritten: several of these
# words are ordinary words elsewhere (Italian "sto", German "jeden", English "zero").
_MONEY_AFTER = (
    r"(?=\s*(?:евро|рубл|руб|доллар|фунт|юан|иен|йен|гривн|euro|złot|zł|dolar|funt|jen"
    r"|eur\b|usd\b|gbp\b|pln\b|rub\b|uah\b|chf\b|[€$£₽₴]))"
)
_WORD_RUN = guarded(rf"(?i)(?<!\w)(?:{_ALL_WORDS})(?:[\s-]+(?:{_ALL_WORDS}))*(?!\w){_MONEY_AFTER}")


def _words_value(run: str) -> int:
    total = section = 0
    for word in re.split(r"[\s-]+", run.lower()):
        if word in _SCALES:
            total += (section or 1) * _SCALES[word]
            section = 0
        else:
            section += _WORDS.get(word, 0)
    return total + section


def _number_words(text: str) -> str:
    if text.isascii():
        return text
    return _WORD_RUN.sub(lambda m: str(_words_value(m[0])), text)


# --- currencies named in their own script ---------------------------------------------
_CURRENCY_WORDS = guarded(
    r"""(?ix)(?<!\w)(?:
      (?P<EUR>евро|يورو|यूरो|ευρώ|ευρω|ユーロ)
    | (?P<RUB>рубл[ьяейю]\w*|руб\.?|₽)
    | (?P<USD>доллар\w*|dolar\w*|دولار|डॉलर)
    | (?P<GBP>фунт\w*|funt\w*)
    | (?P<PLN>złot\w*|zł)
    | (?P<CNY>юан\w*|juan\w*)
    | (?P<JPY>иен\w*|йен\w*|jen\w*)
    | (?P<INR>रुपय\w*|रुपए|रुपये|रु\.?)
    | (?P<SAR>ريال)
    | (?P<AED>درهم)
    | (?P<TRY>lira|lirası|₺)
    | (?P<UAH>гривн\w*|₴)
    )(?!\w)"""
)


def _currency_words(text: str) -> str:
    if text.isascii():
        return text
    return _CURRENCY_WORDS.sub(lambda m: f" {m.lastgroup} ", text)


# Cyrillic and Greek capitals that look like Latin ones (Unicode confusables.txt): "250
# ЕUR" with a Cyrillic Е reads EUR to anyone, but is no currency code to a regex.
_LOOKALIKE = str.maketrans(
    "АВЕКМНОРСТУХЅІЈԁΑΒΕΖΗΙΚΜΝΟΡΤΥΧ",
    "ABEKMHOPCTYXSIJdABEZHIKMNOPTYX",
)
_CODE_BY_A_FIGURE = guarded(r"(?<=\d)(\s?)([^\W\d_]{3})(?![^\W\d_])|(?<![^\W\d_])([^\W\d_]{3})(\s?)(?=\d)")


def _lookalike_codes(text: str) -> str:
    def latin(m: re.Match[str]) -> str:
        word = m[2] or m[3]
        mapped = word.translate(_LOOKALIKE)
        if mapped == word or not (mapped.isascii() and mapped.isupper()):
            return m[0]
        return f"{m[1]}{mapped}" if m[2] else f"{mapped}{m[4]}"

    return _CODE_BY_A_FIGURE.sub(latin, text)


def rewrite(text: str) -> str:
    """The money view's first pass: display order without format characters, ASCII
    digits, CJK amounts, Russian and Polish number words, currencies in their own
    script."""
    if text.isascii():
        return text
    # Format characters (Unicode Cf: zero-width, bidi controls, soft hyphen) render as
    # nothing: "2\u200b50 EUR" reads 250 EUR (Unicode TR 36 3.1).
    shown = "".join(ch for ch in display_order(text) if unicodedata.category(ch) != "Cf")
    view = _lookalike_codes(_currency_words(_number_words(_cjk(ascii_digits(shown)))))
    return _SPACES.sub(" ", view)  # the rewrites pad with spaces; readers expect one


_SPACES = guarded(r"(?<=\S)[ \t]{2,}(?=\S)|(?<=\d)[ \t]+(?=[.,;:!?](?:\s|$))")
