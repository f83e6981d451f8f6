#!/usr/bin/env python3
"""Writes src/model/areas-en.csv: the English name of every province and prefecture of the
national county list (src/model/counties-national.csv), for the English pages.

Names are the pinyin of the name without its suffix (贵港市 → Guigang), with the suffix in
English for autonomous regions and prefectures, leagues and prefectures (地区); the names of
minority-language places and the provinces are written out below. Placeholder prefectures
(市辖区, 县, 省直辖县级行政区划) are shown with their province's name, so they get its English
name. Needs pypinyin (`pip install pypinyin`); the CSV is committed, this is run only when the
national list changes, and every name it writes is reviewed.
"""
import csv, os, sys
from pypinyin import lazy_pinyin

ROOT = os.path.join(os.path.dirname(__file__), "..")
PROVINCES = {
    "110000": "Beijing", "120000": "Tianjin", "130000": "Hebei", "140000": "Shanxi",
    "150000": "Inner Mongolia Autonomous Region", "210000": "Liaoning", "220000": "Jilin",
    "230000": "Heilongjiang", "310000": "Shanghai", "320000": "Jiangsu", "330000": "Zhejiang",
    "340000": "Anhui", "350000": "Fujian", "360000": "Jiangxi", "370000": "Shandong",
    "410000": "Henan", "420000": "Hubei", "430000": "Hunan", "440000": "Guangdong",
    "450000": "Guangxi Zhuang Autonomous Region", "460000": "Hainan", "500000": "Chongqing",
    "510000": "Sichuan", "520000": "Guizhou", "530000": "Yunnan",
    "540000": "Xizang Autonomous Region", "610000": "Shaanxi", "620000": "Gansu",
    "630000": "Qinghai", "640000": "Ningxia Hui Autonomous Region",
    "650000": "Xinjiang Uygur Autonomous Region",
}
# Places whose English name is not the pinyin of their Chinese name.
PLACES = {
    "呼和浩特": "Hohhot", "鄂尔多斯": "Ordos", "呼伦贝尔": "Hulunbuir", "巴彦淖尔": "Bayannur",
    "乌兰察布": "Ulanqab", "兴安": "Hinggan", "锡林郭勒": "Xilingol", "阿拉善": "Alxa",
    "拉萨": "Lhasa", "日喀则": "Xigaze", "昌都": "Qamdo", "林芝": "Nyingchi", "那曲": "Nagqu",
    "阿里": "Ngari", "乌鲁木齐": "Urumqi", "克拉玛依": "Karamay", "吐鲁番": "Turpan",
    "阿克苏": "Aksu", "喀什": "Kashgar", "和田": "Hotan", "阿勒泰": "Altay",
    "克孜勒苏": "Kizilsu", "伊犁": "Ili", "博尔塔拉": "Bortala", "巴音郭楞": "Bayingolin",
    "大兴安岭": "Da Hinggan Ling", "六安": "Lu'an", "蚌埠": "Bengbu", "亳州": "Bozhou",
    "漯河": "Luohe", "濮阳": "Puyang", "儋州": "Danzhou", "台州": "Taizhou", "丽水": "Lishui",
    "丽江": "Lijiang", "长沙": "Changsha", "长春": "Changchun", "长治": "Changzhi",
    "重庆": "Chongqing", "朝阳": "Chaoyang", "大理": "Dali", "莆田": "Putian", "衢州": "Quzhou",
    "铜仁": "Tongren", "黔西南": "Qianxinan", "黔东南": "Qiandongnan", "黔南": "Qiannan",
    "东莞": "Dongguan", "厦门": "Xiamen", "沈阳": "Shenyang", "石家庄": "Shijiazhuang",
    "海东": "Haidong", "山南": "Shannan", "哈尔滨": "Harbin", "齐齐哈尔": "Qiqihar",
    "吕梁": "Lüliang", "果洛": "Golog", "甘孜": "Garzê", "阿坝": "Ngawa",
}
PEOPLES = {
    "朝鲜族": "Korean", "土家族": "Tujia", "苗族": "Miao", "藏族": "Tibetan", "羌族": "Qiang",
    "彝族": "Yi", "布依族": "Bouyei", "侗族": "Dong", "哈尼族": "Hani", "壮族": "Zhuang",
    "傣族": "Dai", "白族": "Bai", "景颇族": "Jingpo", "傈僳族": "Lisu", "回族": "Hui",
    "蒙古族": "Mongol", "蒙古": "Mongol", "柯尔克孜": "Kirgiz", "哈萨克": "Kazakh",
}
PLACEHOLDERS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖县级市"}


def romanise(stem):
    if stem in PLACES:
        return PLACES[stem]
    out = ""
    for i, s in enumerate(lazy_pinyin(stem)):
        out += ("'" if i and s[0] in "aoe" else "") + s
    return out[:1].upper() + out[1:]


def english(name):
    if name.endswith("自治州"):
        body = name[: -len("自治州")]
        peoples = []
        while True:
            for p in sorted(PEOPLES, key=len, reverse=True):
                if body.endswith(p):
                    peoples.insert(0, PEOPLES[p])
                    body = body[: -len(p)]
                    break
            else:
                break
        return f"{romanise(body)} {' and '.join(peoples)} Autonomous Prefecture"
    if name.endswith("地区"):
        return f"{romanise(name[:-2])} Prefecture"
    if name.endswith("盟"):
        return f"{romanise(name[:-1])} League"
    if name.endswith("市"):
        return romanise(name[:-1])
    sys.exit(f"no rule for {name}")


rows = list(csv.DictReader(open(os.path.join(ROOT, "src/model/counties-national.csv"), encoding="utf-8")))
areas = {}
for r in rows:
    code = r["province_code"]
    areas[code] = (r["province"], PROVINCES[code])
for r in rows:
    code, name = r["prefecture_code"], r["prefecture"]
    if code in areas:
        continue
    areas[code] = (name, PROVINCES[r["province_code"]] if name in PLACEHOLDERS else english(name))
with open(os.path.join(ROOT, "src/model/areas-en.csv"), "w", encoding="utf-8", newline="") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(["code", "name", "name_en"])
    for code in sorted(areas):
        w.writerow([code, *areas[code]])
