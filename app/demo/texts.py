"""The words the demo's simulated panel writes: names, reasons, proposals, rewordings."""

FIRST_NAMES = [
    "Amina",
    "Bruno",
    "Chen",
    "Dalia",
    "Emeka",
    "Farah",
    "Goran",
    "Hana",
    "Ivan",
    "Jia",
    "Kofi",
    "Lucia",
    "Mehdi",
    "Nadia",
    "Oscar",
    "Priya",
    "Quentin",
    "Rosa",
    "Samir",
    "Tanvi",
]


LAST_NAMES = [
    "Abebe",
    "Bianchi",
    "Castro",
    "Diallo",
    "Eriksen",
    "Fofana",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kamau",
    "Lopez",
    "Mensah",
    "Nguyen",
    "Okafor",
    "Petrov",
]


REASONS_HIGH = [
    "Evidence from our region shows this works when it is properly funded.",
    "This is already a gap that practitioners raise in every regional meeting.",
    "Low cost compared to the harm it prevents.",
]


REASONS_LOW = [
    "Useful in principle, but few states have the institutional capacity for it.",
    "The human-rights risks are not addressed in this wording.",
    "Other measures would give more prevention per dollar.",
]


# Reasons panelists reading the pages in another language than English write.
REASONS_OTHER = {
    "fr": [
        "Les moyens manquent dans la plupart des pays pour appliquer cette mesure.",
        "Cette stratégie a fait ses preuves dans notre région.",
    ],
    "es": [
        "Faltan recursos en la mayoría de los países para aplicarla.",
        "Esta estrategia ya ha dado resultados en nuestra región.",
    ],
    "ar": [
        "تفتقر معظم البلدان إلى الموارد اللازمة لتطبيق هذا التدبير.",
        "أثبتت هذه الاستراتيجية نجاحها في منطقتنا.",
    ],
    "zh": [
        "大多数国家缺乏实施这项措施的资源。",
        "这项战略已在我们地区取得成效。",
    ],
    "ru": [
        "В большинстве стран не хватает ресурсов для применения этой меры.",
        "Эта стратегия уже доказала свою эффективность в нашем регионе.",
    ],
}


# Round 0: what the panel proposes, per topic key (some say the same thing twice).
PROPOSALS = {
    "cybercrime": [
        ("en", "Member states publish an annual report on ransomware incidents and responses."),
        ("en", "Every member state publishes a yearly report on ransomware incidents."),
        ("fr", "Créer un réseau régional de laboratoires de criminalistique numérique."),
        ("en", "Schools teach online safety from the age of ten."),
    ],
    "wildlife-trafficking": [
        ("en", "Airlines train cargo staff to recognise trafficked wildlife products."),
        ("es", "Los puertos instalan escáneres para detectar marfil en contenedores."),
        ("en", "Ban all online sales of live wild animals."),
    ],
    "violent-extremism": [
        ("en", "Fund community-led programmes that reintegrate returning foreign fighters."),
        ("en", "Prison staff receive training on recognising radicalisation."),
    ],
}


# Translations a facilitator gives when accepting a proposal or rewording a statement.
ACCEPTED = {
    "Airlines train cargo staff to recognise trafficked wildlife products.": {
        "en": "Airlines train their cargo staff to recognise trafficked wildlife products.",
        "fr": "Les compagnies aériennes forment leur personnel de fret à reconnaître les "
        "produits issus du trafic d'espèces sauvages.",
        "es": "Las aerolíneas forman a su personal de carga para reconocer productos de fauna "
        "y flora silvestres objeto de tráfico.",
        "ar": "تدرّب شركات الطيران موظفي الشحن لديها على التعرف على منتجات الأحياء البرية "
        "المتاجر بها.",
        "zh": "航空公司培训其货运人员识别被贩运的野生动植物产品。",
        "ru": "Авиакомпании обучают своих сотрудников грузовых служб распознавать продукцию "
        "незаконного оборота объектов дикой природы.",
    },
    "Prison staff receive training on recognising radicalisation.": {
        "en": "Prison staff in every member state receive training on recognising "
        "radicalisation to violence.",
        "fr": "Dans chaque État Membre, le personnel pénitentiaire est formé à reconnaître "
        "la radicalisation menant à la violence.",
        "es": "En cada Estado Miembro, el personal penitenciario recibe formación para "
        "reconocer la radicalización hacia la violencia.",
        "ar": "يتلقى موظفو السجون في كل دولة عضو تدريبًا على التعرف على التطرف المفضي إلى العنف.",
        "zh": "每个会员国的监狱工作人员接受识别导致暴力的激进化的培训。",
        "ru": "Сотрудники пенитенциарных учреждений в каждом государстве-члене проходят "
        "обучение распознаванию радикализации, ведущей к насилию.",
    },
    "Member states share anonymised data on what works.": {
        "en": "Member states share anonymised data on which prevention measures work.",
        "fr": "Les États Membres partagent des données anonymisées sur les mesures de "
        "prévention qui fonctionnent.",
        "es": "Los Estados Miembros comparten datos anonimizados sobre las medidas de "
        "prevención que funcionan.",
        "ar": "تتبادل الدول الأعضاء بيانات مجهولة المصدر بشأن تدابير الوقاية الناجعة.",
        "zh": "会员国共享关于哪些预防措施有效的匿名数据。",
        "ru": "Государства-члены обмениваются анонимизированными данными о том, какие меры "
        "профилактики работают.",
    },
}


# What a reword or a split adds to a statement, per language.
REWORD_NOTE = {
    "en": "within three years",
    "fr": "d'ici trois ans",
    "es": "en un plazo de tres años",
    "ar": "في غضون ثلاث سنوات",
    "zh": "三年内",
    "ru": "в течение трёх лет",
}


SPLIT_NOTES = (
    {
        "en": "at national level",
        "fr": "au niveau national",
        "es": "a nivel nacional",
        "ar": "على المستوى الوطني",
        "zh": "在国家层面",
        "ru": "на национальном уровне",
    },
    {
        "en": "at regional level",
        "fr": "au niveau régional",
        "es": "a nivel regional",
        "ar": "على المستوى الإقليمي",
        "zh": "在区域层面",
        "ru": "на региональном уровне",
    },
)
