/*
 * instrument.c - the questionnaire table and scoring; see instrument.h.
 *
 * Sources (docs/INSTRUMENTS.md has the full list and peerlink's choices):
 *   DDS-17: Polonsky WH et al. Assessing psychosocial distress in diabetes.
 *     Diabetes Care 2005;28:626-631. Items 1-6, score = mean; subscales
 *     emotional burden 1,4,7,10,14; physician-related 2,5,11,15; regimen-related
 *     3,6,8,12,16; interpersonal 9,13,17. Bands < 2.0 little or no distress,
 *     2.0-2.9 moderate, >= 3.0 high (Fisher L et al., Diabetes Care
 *     2012;35:259-264); peerlink reads 2.0-2.9 as [2.0, 3.0) and applies the
 *     same bands to each subscale mean.
 *   DDS2: Fisher L et al. Ann Fam Med 2008;6:246-252. Two items 1-6, mean,
 *     >= 3 positive screen.
 *   PHQ-9: Kroenke K, Spitzer RL, Williams JBW. J Gen Intern Med
 *     2001;16:606-613. Items 0-3, total 0-27; 5, 10, 15, 20 start mild,
 *     moderate, moderately severe, severe. PHQ-8: Kroenke K et al. J Affect
 *     Disord 2009;114:163-173, the PHQ-9 without item 9, same cut points,
 *     0-24. PHQ-2: Kroenke K et al. Med Care 2003;41:1284-1292, 0-6, >= 3
 *     positive.
 *   Stanford diabetes self-efficacy scale: Lorig K et al., Stanford Patient
 *     Education Research Center; 8 items 1-10, score = mean, not scored when
 *     more than two items are missing (the Center's scoring note).
 *
 * Missing items. Only the Stanford rule comes from the instrument's own
 * scoring note. The others are peerlink's conservative choices, written down
 * because the published rules are not settled:
 *   PHQ-9, PHQ-8: at most one item missing; the total is prorated as
 *     sum x items / answered, rounded half up to a whole number; two or more
 *     missing: no score. Some studies prorate with up to two items missing;
 *     no published source for either rule was verified, so peerlink allows
 *     one until the study team decides otherwise (max_missing in the table).
 *   PHQ-2, DDS2: every item required (two-item screens; one answer alone is
 *     not the screen).
 *   DDS-17: mean of the answered items when at least 75 % of the items are
 *     answered, for the total (13 of 17) and for each subscale separately
 *     (4 of 5, 3 of 4, 3 of 3). Polonsky 2005 gives no rule; 75 % is the
 *     usual convention for mean-scored scales.
 * PHQ-9 item 9 is checked whatever the score: an answer above 0 is urgent,
 * and a blank item 9 is reported so that a person asks it again.
 *
 * LOINC: PHQ-9 panel 44249-1, total 44261-6; PHQ-2 panel 55757-9, total
 * 55758-7 (DESIGN.md section 6, and measure.c records both totals). The
 * PHQ-8 codes could not be verified, so they are NULL; DDS, DDS2 and the
 * Stanford scale have no LOINC codes and use peerlink's local code system.
 *
 * Item labels are short neutral paraphrases written for peerlink, not the
 * instruments' wording: DDS-17 and DDS2 are copyright of the Behavioral
 * Diabetes Institute and their text is licensed separately; the PHQ text is
 * free to reproduce (Pfizer) but forms shown to people must use the official
 * validated translations, not these labels.
 */
#include "instrument.h"

#include <stdio.h>
#include <string.h>

static const instrument_label dds17_labels[] = {
    {"Item 1: diabetes takes too much mental and physical energy",
     "Ítem 1: la diabetes consume demasiada energía", "第1项：糖尿病耗费太多精力"},
    {"Item 2: doctor does not know enough about diabetes",
     "Ítem 2: el médico no sabe lo suficiente de diabetes", "第2项：医生对糖尿病了解不够"},
    {"Item 3: not confident managing diabetes day to day",
     "Ítem 3: poca confianza para manejar la diabetes a diario", "第3项：对日常管理糖尿病缺乏信心"},
    {"Item 4: angry, scared or depressed about living with diabetes",
     "Ítem 4: enojo, miedo o depresión por vivir con diabetes",
     "第4项：想到糖尿病感到愤怒、害怕或抑郁"},
    {"Item 5: doctor does not give clear directions", "Ítem 5: el médico no da indicaciones claras",
     "第5项：医生没有给出清楚的指导"},
    {"Item 6: not testing blood sugar often enough",
     "Ítem 6: no medirse el azúcar con suficiente frecuencia", "第6项：血糖测得不够勤"},
    {"Item 7: expecting complications whatever I do",
     "Ítem 7: esperar complicaciones haga lo que haga", "第7项：担心无论怎样都会出现并发症"},
    {"Item 8: often failing with the diabetes routine",
     "Ítem 8: fallar a menudo en la rutina de la diabetes", "第8项：常常做不到糖尿病日常管理"},
    {"Item 9: friends or family not supportive of self-care",
     "Ítem 9: familia o amigos no apoyan el autocuidado", "第9项：亲友不够支持自我管理"},
    {"Item 10: diabetes controls my life", "Ítem 10: la diabetes controla mi vida",
     "第10项：糖尿病控制了我的生活"},
    {"Item 11: doctor does not take concerns seriously",
     "Ítem 11: el médico no toma en serio mis inquietudes", "第11项：医生不重视我的顾虑"},
    {"Item 12: not sticking to a good meal plan", "Ítem 12: no seguir bien un plan de comidas",
     "第12项：没有坚持良好的饮食计划"},
    {"Item 13: friends or family do not appreciate how hard it is",
     "Ítem 13: familia o amigos no entienden lo difícil que es",
     "第13项：亲友不理解患糖尿病的难处"},
    {"Item 14: overwhelmed by the demands of diabetes",
     "Ítem 14: agobio por las exigencias de la diabetes", "第14项：被糖尿病的各种要求压得喘不过气"},
    {"Item 15: no doctor to see regularly about diabetes",
     "Ítem 15: no tener un médico que me vea con regularidad",
     "第15项：没有可以定期看糖尿病的医生"},
    {"Item 16: not motivated to keep up self-management",
     "Ítem 16: falta de motivación para el autocuidado", "第16项：缺乏坚持自我管理的动力"},
    {"Item 17: friends or family do not give the emotional support I want",
     "Ítem 17: familia o amigos no dan el apoyo emocional que deseo",
     "第17项：亲友没有给予我想要的情感支持"},
};

static const instrument_label dds2_labels[] = {
    {"Item 1: overwhelmed by the demands of living with diabetes",
     "Ítem 1: agobio por las exigencias de vivir con diabetes",
     "第1项：被糖尿病生活的各种要求压得喘不过气"},
    {"Item 2: often failing with the diabetes regimen",
     "Ítem 2: fallar a menudo con el régimen de la diabetes", "第2项：常常做不到糖尿病治疗方案"},
};

/* PHQ-8 and PHQ-2 use the first 8 and 2 rows. */
static const instrument_label phq_labels[] = {
    {"Item 1: little interest or pleasure in doing things",
     "Ítem 1: poco interés o placer en hacer cosas", "第1项：做事缺乏兴趣或乐趣"},
    {"Item 2: feeling down, depressed or hopeless", "Ítem 2: decaído, deprimido o sin esperanza",
     "第2项：情绪低落、沮丧或绝望"},
    {"Item 3: trouble sleeping, or sleeping too much",
     "Ítem 3: problemas para dormir o dormir demasiado", "第3项：睡眠困难或睡眠过多"},
    {"Item 4: tired or little energy", "Ítem 4: cansancio o poca energía",
     "第4项：感觉疲倦或没有活力"},
    {"Item 5: poor appetite or overeating", "Ítem 5: poco apetito o comer en exceso",
     "第5项：食欲不振或吃太多"},
    {"Item 6: feeling bad about yourself", "Ítem 6: sentirse mal consigo mismo",
     "第6项：觉得自己很糟"},
    {"Item 7: trouble concentrating", "Ítem 7: dificultad para concentrarse",
     "第7项：难以集中注意力"},
    {"Item 8: moving or speaking slowly, or restless",
     "Ítem 8: moverse o hablar despacio, o inquietud", "第8项：动作或说话缓慢，或坐立不安"},
    {"Item 9: thoughts of being better off dead or of self-harm",
     "Ítem 9: pensamientos de muerte o de hacerse daño", "第9项：有不如死掉或伤害自己的念头"},
};

static const instrument_label ses_labels[] = {
    {"Item 1: eat meals every 4-5 hours, breakfast included",
     "Ítem 1: comer cada 4-5 horas, incluido el desayuno", "第1项：每4-5小时进餐一次，包括早餐"},
    {"Item 2: follow the meal plan when eating with others",
     "Ítem 2: seguir su plan de comidas al comer con otros", "第2项：与他人一起吃饭时坚持饮食计划"},
    {"Item 3: choose suitable foods when hungry",
     "Ítem 3: elegir alimentos adecuados cuando tiene hambre", "第3项：饿时选择合适的食物"},
    {"Item 4: exercise 15-30 minutes, 4-5 times a week",
     "Ítem 4: hacer ejercicio 15-30 minutos, 4-5 veces por semana",
     "第4项：每周运动4-5次，每次15-30分钟"},
    {"Item 5: prevent low blood sugar when exercising",
     "Ítem 5: evitar el azúcar bajo al hacer ejercicio", "第5项：运动时预防低血糖"},
    {"Item 6: know what to do when blood sugar is too high or low",
     "Ítem 6: saber qué hacer si el azúcar está muy alto o bajo",
     "第6项：知道血糖过高或过低时该怎么做"},
    {"Item 7: judge when changes mean seeing the doctor",
     "Ítem 7: juzgar cuándo los cambios requieren ver al médico",
     "第7项：判断病情变化何时需要看医生"},
    {"Item 8: keep diabetes from interfering with daily life",
     "Ítem 8: evitar que la diabetes interfiera en su vida",
     "第8项：控制糖尿病，不让它妨碍想做的事"},
};

#define PHQ_BANDS                                                                                  \
    .nbands = 5,                                                                                   \
    .bands = {                                                                                     \
        {0, "minimal"}, {5, "mild"}, {10, "moderate"}, {15, "moderately_severe"}, {20, "severe"}}
#define SCREEN_BANDS .nbands = 2, .bands = {{0, "negative"}, {3, "positive"}}

static const instrument_def defs[INSTR__COUNT] = {
    [INSTR_DDS17] = {.id = INSTR_DDS17,
                     .code = "dds17",
                     .name = "DDS-17",
                     .nitems = 17,
                     .item_min = 1,
                     .item_max = 6,
                     .mean = true,
                     .max_missing = 17,
                     .min_answered_pct = 75,
                     .nbands = 3,
                     .bands = {{0, "little_or_no"}, {2.0, "moderate"}, {3.0, "high"}},
                     .nsubscales = 4,
                     .subscales = {{"emotional_burden", 5, {1, 4, 7, 10, 14}},
                                   {"physician_distress", 4, {2, 5, 11, 15}},
                                   {"regimen_distress", 5, {3, 6, 8, 12, 16}},
                                   {"interpersonal_distress", 3, {9, 13, 17}}},
                     .labels = dds17_labels},
    [INSTR_DDS2] = {.id = INSTR_DDS2,
                    .code = "dds2",
                    .name = "DDS2",
                    .nitems = 2,
                    .item_min = 1,
                    .item_max = 6,
                    .mean = true,
                    .max_missing = 0,
                    .positive_at = 3,
                    SCREEN_BANDS,
                    .labels = dds2_labels},
    [INSTR_PHQ9] = {.id = INSTR_PHQ9,
                    .code = "phq9",
                    .name = "PHQ-9",
                    .loinc_panel = "44249-1",
                    .loinc_total = "44261-6",
                    .nitems = 9,
                    .item_min = 0,
                    .item_max = 3,
                    .max_missing = 1,
                    .safety_item = 9,
                    PHQ_BANDS,
                    .labels = phq_labels},
    [INSTR_PHQ8] = {.id = INSTR_PHQ8,
                    .code = "phq8",
                    .name = "PHQ-8",
                    .nitems = 8,
                    .item_min = 0,
                    .item_max = 3,
                    .max_missing = 1,
                    PHQ_BANDS,
                    .labels = phq_labels},
    [INSTR_PHQ2] = {.id = INSTR_PHQ2,
                    .code = "phq2",
                    .name = "PHQ-2",
                    .loinc_panel = "55757-9",
                    .loinc_total = "55758-7",
                    .nitems = 2,
                    .item_min = 0,
                    .item_max = 3,
                    .max_missing = 0,
                    .positive_at = 3,
                    SCREEN_BANDS,
                    .labels = phq_labels},
    [INSTR_SES8] = {.id = INSTR_SES8,
                    .code = "stanford_ses",
                    .name = "Stanford Diabetes Self-Efficacy",
                    .nitems = 8,
                    .item_min = 1,
                    .item_max = 10,
                    .mean = true,
                    .max_missing = 2,
                    .labels = ses_labels},
};

const instrument_def *instrument_find(const char *code)
{
    if (!code)
        return NULL;
    for (int i = 0; i < INSTR__COUNT; i++)
        if (strcmp(defs[i].code, code) == 0)
            return &defs[i];
    return NULL;
}

const instrument_def *instrument_get(instrument_id id)
{
    return (int)id >= 0 && id < INSTR__COUNT ? &defs[id] : NULL;
}

const char *instrument_item_label(const instrument_def *d, int item, const char *lang)
{
    if (!d || item < 1 || item > d->nitems)
        return NULL;
    const instrument_label *l = &d->labels[item - 1];
    if (lang && strcmp(lang, "es") == 0)
        return l->es;
    if (lang && (strcmp(lang, "zh-CN") == 0 || strcmp(lang, "zh") == 0))
        return l->zh;
    return l->en;
}

static const char *band_of(const instrument_def *d, double score)
{
    const char *name = NULL;
    for (int i = 0; i < d->nbands; i++)
        if (score >= d->bands[i].lo)
            name = d->bands[i].name;
    return name;
}

/* At least min_answered_pct of n answered (integer arithmetic: 75 % of 17 is 13, not 12.75). */
static bool enough_answered(const instrument_def *d, int answered, int n)
{
    return answered * 100 >= d->min_answered_pct * n;
}

pl_status instrument_score(const instrument_def *d, const int *answers, int n,
                           instrument_result *out, pl_err *err)
{
    *out = (instrument_result){0};
    if (!d) {
        pl_err_field(err, "instrument",
                     "must be one of dds17, dds2, phq9, phq8, phq2, "
                     "stanford_ses");
        return PL_INVALID;
    }
    if (!answers || n != d->nitems) {
        pl_err_field(err, "answers", "%s has %d items: give %d answers (-1 for a blank), not %d",
                     d->name, d->nitems, d->nitems, answers ? n : 0);
        if (!answers)
            return PL_INVALID;
    }
    for (int i = 0; i < n; i++) {
        int a = answers[i];
        if (a != INSTR_MISSING && (a < d->item_min || a > d->item_max)) {
            char field[32];
            snprintf(field, sizeof field, "answers[%d]", i);
            pl_err_field(err, field,
                         "%s item %d must be between %d and %d (or -1 if not "
                         "answered), not %d",
                         d->name, i + 1, d->item_min, d->item_max, a);
        }
    }
    if (err->status != PL_OK)
        return PL_INVALID;

    instrument_result r = {0};
    r.def = d;
    for (int i = 0; i < d->nitems; i++)
        if (answers[i] != INSTR_MISSING) {
            r.answered++;
            r.raw_sum += answers[i];
        }
    int missing = d->nitems - r.answered;
    r.scored =
        r.answered > 0 && missing <= d->max_missing && enough_answered(d, r.answered, d->nitems);
    if (r.scored) {
        if (d->mean) {
            r.score = (double)r.raw_sum / r.answered;
        } else if (missing == 0) {
            r.score = r.raw_sum;
        } else {
            /* round(sum x items / answered), halves up, in integers */
            // NOLINTNEXTLINE(bugprone-integer-division): the integer rounding is the rule
            r.score = (2 * r.raw_sum * d->nitems + r.answered) / (2 * r.answered);
            r.prorated = true;
        }
        r.band = band_of(d, r.score);
        r.positive_screen = d->positive_at > 0 && r.score >= d->positive_at;
    }
    if (d->safety_item) {
        int a = answers[d->safety_item - 1];
        r.urgent = a != INSTR_MISSING && a > 0;
        r.safety_item_missing = a == INSTR_MISSING;
    }
    r.nsubscales = d->nsubscales;
    for (int s = 0; s < d->nsubscales; s++) {
        const instrument_subscale_def *sd = &d->subscales[s];
        instrument_subscale_result *sr = &r.subscales[s];
        int sum = 0;
        sr->name = sd->name;
        for (int k = 0; k < sd->nitems; k++) {
            int a = answers[sd->items[k] - 1];
            if (a != INSTR_MISSING) {
                sr->answered++;
                sum += a;
            }
        }
        sr->scored = sr->answered > 0 && enough_answered(d, sr->answered, sd->nitems);
        if (sr->scored) {
            sr->score = (double)sum / sr->answered;
            sr->band = band_of(d, sr->score);
        }
    }
    *out = r;
    return PL_OK;
}
