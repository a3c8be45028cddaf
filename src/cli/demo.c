/*
 * demo.c - the deterministic demo and benchmark population generator (see demo.h).
 *
 * How it works
 *
 * 1. Plan. From the seed, a plan rng lays out each program: districts,
 *    communities (contiguous per district), study arms drawn stratified by
 *    district (controls go to distinct districts first, and a district keeps
 *    an intervention community while any other place is left), a community
 *    random intercept for HbA1c (so outcomes are clustered), the number of
 *    participants per community (weights 2:3 for intervention:control,
 *    120/180 in the reference shape) and its peer-leader slots. Only
 *    per-community and per-leader arrays are held in memory, never
 *    per-participant ones.
 *
 * 2. Setup writes. One store_write() per program inserts the org-unit tree,
 *    the peer leaders who are not participants, and (Mi Salud) the
 *    program-defined fifth key function "being_there".
 *
 * 3. Participant stream. Participants are numbered 0..n-1 per program,
 *    community by community, and written in batches of DEMO_BATCH, each
 *    batch one store_write() with the participant, their contacts and their
 *    measurements. Every participant draws from an rng seeded by (seed,
 *    program, index), so the data do not depend on the batch size. In each
 *    intervention community the first participants are the peer leaders who
 *    are patients themselves: their participant row is inserted first, then
 *    the peer leader with the same person.id. Leader slots are ordered
 *    patients first, so every later participant of the community can be
 *    assigned to any of its leaders.
 *
 * 2b. Groups. Before the stream, one store_write() per program inserts its
 *    course template and its groups with all their sessions: in Shanghai a
 *    CSMG per intervention community meeting monthly (times from an rng
 *    seeded by (seed, community, month)) through the six "sh-basic"
 *    modules, in Mi Salud a DSME class per enrolment fortnight running the
 *    four weekly "msp-dsme" classes. Past sessions are held, later ones
 *    scheduled. Each streamed participant then joins their group from
 *    enrolment (the membership ends after their last day of follow-up or of
 *    the course, unless that is to come) and has their attendance set for
 *    each held session of their time (store_group_attendance_set): an
 *    attended session makes the "group" contact, linked to it.
 *
 * Outcome model (HbA1c, %): true level mu = 8.3 + community effect (SD
 * 0.25) + person effect (SD 1.35); an observation is mu + change + noise
 * (SD 0.6), so baseline SD is about 1.5 and follow-up shows regression to
 * the mean. The 12-month change is -0.1 (secular drift) for everybody, plus
 * -0.4 x engagement/0.7 in intervention communities (mean -0.5), where
 * engagement (0.4-1.0) also drives contact frequency and group attendance,
 * so a dose-response analysis finds something. Six-month values carry half
 * the change. Blood pressure, lipids and weight follow the same pattern with
 * smaller effects. Mi Salud has no control arm; its high-need tier gets
 * four weekly DSME classes and a larger change.
 *
 * Dates: enrolment spreads over the 60 days from the start date, contacts
 * run 12 months from each enrolment and waves fall at 0, 6 and 12 months
 * (+-10 days). The default start date is DEMO_HISTORY_DAYS (445) days ago,
 * so that even the last enrolled has a complete 12-month wave; with a later
 * start, whatever would lie in the future is left out.
 *
 * Implementation and questionnaires: each community has a fidelity
 * (0.45-0.95, from its own rng stream) that scales the intervention's HbA1c
 * effect and drives its half-yearly implementation ratings; every
 * participant answers the DDS-17 and PHQ-9 at the waves, from a stream of
 * their own, so adding them moved none of the other draws.
 *
 * Studies: each program gets its evaluation study (docs/EVALUATION.md) with
 * the default waves (months 0, 6 and 12): Shanghai's adopts the arms its
 * communities were drawn to (allocation "org_units") with the planned
 * participants per arm as recruitment targets; Mi Salud's, a before-after
 * evaluation, has no arms. The Shanghai study is study 1.
 *
 * Every record is checked with the core validators (measurement_prepare,
 * contact_validate, ...) before it is inserted, so the demo never holds
 * data the API would refuse; a refusal is a generator bug and stops the run
 * with the validator's message. Nothing is dated after `now`.
 */
#include "cli/demo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/group.h"
#include "core/instrument.h"
#include "cli/demo_resources.h"
#include "core/measure.h"
#include "core/rng.h"
#include "core/time.h"
#include "eval/eval.h"
#include "http/auth.h"
#include "store/store_eval.h"

#define DEMO_DEFAULT_SEED     20261123ull
#define DEMO_BATCH            1000
#define DEMO_MAX_PARTICIPANTS 50000000
#define DEMO_ENROL_DAYS       60  /* enrolment spreads over the first two months */
#define DEMO_FOLLOW_DAYS      365 /* contacts run 12 months from enrolment */
#define DEMO_ONGOING_DAYS     90  /* check-ins after that, at most this far back from today */
#define DEMO_HISTORY_DAYS     445 /* default start: enrolment window + 12 months + wave jitter */
#define DEMO_SESSION_MONTHS   16  /* monthly group sessions cover enrolment + follow-up */
#define DEMO_MISALUD_N        380
#define DEMO_MISALUD_LEADERS  12
#define DEMO_COHORT_DAYS      14 /* Mi Salud starts a DSME class each fortnight */

#define COUNT(a) ((int)(sizeof(a) / sizeof((a)[0])))

/* rng streams: each kind of draw has its own sequence, keyed by an index */
enum {
    STREAM_PLAN = 1,
    STREAM_LEADER = 2,
    STREAM_PARTICIPANT = 3,
    STREAM_SESSION = 4,
    STREAM_ONGOING = 5,
    STREAM_FIDELITY = 6,
    STREAM_QUESTIONNAIRE = 7,
    STREAM_RATING = 8,
};

typedef enum flavor { FLAVOR_SHANGHAI, FLAVOR_MISALUD } flavor;

typedef struct community {
    pl_id id;        /* the community (Mi Salud: the practice) */
    int district;    /* index into the program's districts */
    int in_district; /* 0-based position inside its district */
    pl_arm arm;
    double level;    /* community random intercept of HbA1c */
    double fidelity; /* 0.45-0.95: how well the program is delivered there (0.7 typical) */
    int64_t first;   /* index of its first participant */
    int64_t n;       /* participants */
    int leader_off;  /* its slots in program_gen.leader_id */
    int nleaders;
    int npatients;  /* the first npatients slots are participants too */
    char name[96];  /* e.g. "Wuliqiao" */
    char dname[40]; /* district, e.g. "Huangpu" */
} community;

typedef struct program_gen {
    flavor fl;
    uint64_t stream_base; /* separates the two programs' rng streams */
    pl_id program_id;
    uint32_t kf_mask;
    int ndistricts;
    int ncomm;
    community *comm;
    int nleaders;
    pl_id *leader_id;
    pl_id *leader_person;
    int64_t n; /* participants */
    /* groups: Shanghai one CSMG per intervention community (group_id[community]), Mi Salud
       one DSME class per enrolment fortnight (group_id[cohort]); sessions[g * per + k] */
    pl_id template_id;
    int ngroups;
    int sessions_per_group;
    pl_id *group_id;
    pl_group_session *sessions;
    int64_t next; /* next participant to write */
    int cursor;   /* community of `next` */
    int64_t batch_end;
} program_gen;

typedef struct demo_gen {
    uint64_t seed;
    pl_time now;
    pl_date today;
    pl_date start;
    int enrol_days; /* enrolment window, shortened if start is recent */
    pl_id network_id;
    program_gen sh;
    program_gen ms;
    bool with_ms;
    program_gen *cur;   /* the program write_batch is streaming */
    pl_id clinician_id; /* the demo clinician's account, co-leader of the site's CSMG */
    char hash[6][AUTH_HASH_MAX];
    pl_id navigator_account, peer_account; /* set by write_accounts */
} demo_gen;

/* ---- static data -------------------------------------------------------- */

static const demo_login logins[] = {
    {"admin", "peerlink-admin", "admin"},
    {"manager", "peerlink-manager", "program_manager"},
    {"clinician", "peerlink-clinician", "clinician"},
    {"peer", "peerlink-peer", "peer_leader"},
    {"navigator", "peerlink-navigator", "navigator"},
    {"evaluator", "peerlink-evaluator", "evaluator"},
    {NULL, NULL, NULL},
};

/* Real Shanghai districts with real subdistricts (jiedao) as community names. */
static const struct {
    const char *name;
    const char *sub[6];
} sh_districts[] = {
    {"Huangpu", {"Wuliqiao", "Dapuqiao", "Laoximen", "Yuyuan", "Bansongyuan Road", "Xiaodongmen"}},
    {"Xuhui",
     {"Tianlin", "Kangjian Xincun", "Fenglin Road", "Xietu Road", "Hongmei Road", "Lingyun Road"}},
    {"Changning",
     {"Xianxia Xincun", "Zhoujiaqiao", "Tianshan Road", "Huayang Road", "Xinhua Road",
      "Chengjiaqiao"}},
    {"Jing'an",
     {"Pengpu Xincun", "Linfen Road", "Daning Road", "Caojiadu", "Jiangning Road",
      "Gonghe Xin Road"}},
    {"Putuo",
     {"Caoyang Xincun", "Changfeng Xincun", "Ganquan Road", "Shiquan Road", "Yichuan Road",
      "Changshou Road"}},
    {"Hongkou",
     {"Ouyang Road", "Quyang Road", "Liangcheng Xincun", "Jiaxing Road", "Guangzhong Road",
      "Sichuan North Road"}},
    {"Yangpu",
     {"Wujiaochang", "Yinhang", "Kongjiang Road", "Siping Road", "Dinghai Road", "Pingliang Road"}},
    {"Minhang", {"Gumei Road", "Jiangchuan Road", "Xinzhuang", "Qibao", "Meilong", "Hongqiao"}},
    {"Baoshan", {"Youyi Road", "Wusong", "Zhangmiao", "Gucun", "Yanghang", "Dachang"}},
    {"Jiading", {"Xincheng Road", "Zhenxin", "Nanxiang", "Anting", "Malu", "Jiangqiao"}},
    {"Pudong", {"Huamu", "Lujiazui", "Tangqiao", "Weifang Xincun", "Yangjing", "Zhoujiadu"}},
    {"Songjiang", {"Yueyang", "Fangsong", "Zhongshan", "Sijing", "Jiuting", "Dongjing"}},
    {"Qingpu", {"Xiayang", "Yingpu", "Zhujiajiao", "Zhaoxiang", "Huaxin", "Xujing"}},
    {"Fengxian", {"Nanqiao", "Fengcheng", "Zhuanghang", "Jinhui", "Situan", "Qingcun"}},
    {"Jinshan", {"Shihua", "Zhujing", "Fengjing", "Tinglin", "Langxia", "Lvxiang"}},
    {"Chongming", {"Chengqiao", "Baozhen", "Xinhe", "Miaozhen", "Chenjia", "Zhongxing"}},
};

static const char *const zh_family[] = {
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "马", "胡",
    "郭", "林", "何", "高", "沈", "顾", "陆", "钱", "严", "蔡", "潘", "曹", "金", "姚", "俞",
};
static const char *const zh_female[] = {
    "秀英", "桂英", "秀兰", "玉兰", "桂兰", "秀珍", "凤英", "玉珍", "美华", "丽华",
    "淑芬", "秀华", "惠芳", "丽娟", "红梅", "雪芳", "静",   "敏",   "萍",   "琴",
};
static const char *const zh_male[] = {
    "建国", "建华", "国强", "志强", "国华", "建平", "德明", "文华", "建明", "志明",
    "伟",   "军",   "勇",   "明",   "刚",   "斌",   "国庆", "卫东", "建军", "立新",
};
static const char *const es_family[] = {
    "García",  "Hernández", "Martínez", "López",  "González",  "Rodríguez", "Pérez",
    "Sánchez", "Ramírez",   "Torres",   "Flores", "Rivera",    "Gómez",     "Díaz",
    "Reyes",   "Morales",   "Cruz",     "Ortiz",  "Gutiérrez", "Chávez",    "Mendoza",
};
static const char *const es_female[] = {
    "María",   "Guadalupe", "Rosa",   "Juana", "Margarita", "Verónica", "Patricia",
    "Leticia", "Elena",     "Carmen", "Ana",   "Silvia",    "Teresa",   "Yolanda",
};
static const char *const es_male[] = {
    "José",   "Juan",  "Luis",    "Jesús",  "Miguel",  "Francisco", "Jorge",
    "Carlos", "Pedro", "Ricardo", "Javier", "Roberto", "Raúl",      "Arturo",
};
static const char *const en_female[] = {"Jennifer", "Jessica", "Michelle", "Stephanie",
                                        "Vanessa",  "Cynthia", "Erica"};
static const char *const en_male[] = {"Daniel", "David", "Anthony", "Christopher",
                                      "Kevin",  "Brian", "Eric"};
static const char *const chicago_streets[] = {"S Ashland Ave", "W 26th St",        "W Cermak Rd",
                                              "S Kedzie Ave",  "S Pulaski Rd",     "W 18th St",
                                              "S Western Ave", "S Blue Island Ave"};

static const char *const zh_notes[] = {
    "讨论了饮食控制，建议减少主食",
    "提醒按时服药",
    "一起制定了每天散步的计划",
    "血糖记录不全，下次带血糖仪",
    "情绪低落，多聊了家庭情况",
    "陪同去社区卫生服务中心复诊",
    "介绍了社区的健身活动",
    "询问了足部护理情况",
    "家属也参加了讨论",
};
static const char *const es_notes[] = {
    "Hablamos sobre la dieta y las porciones",
    "Recordatorio de tomar la metformina",
    "Se siente sola; hablamos de su familia",
    "Le ayudé a hacer una cita en la clínica",
    "Referida a la despensa de alimentos",
    "Revisamos el glucómetro y las tiras",
    "Caminata en el parque con el grupo",
    "Preocupada por su seguro médico; referida a asesoría legal",
};
static const char *const zh_withdraw[] = {"搬离社区", "工作太忙", "身体原因", "不再感兴趣",
                                          "需要照顾家人"};
static const char *const es_withdraw[] = {"Se mudó fuera de Chicago",
                                          "No tiene tiempo por el trabajo", "Problemas de salud",
                                          "Ya no le interesa", "Cuida a un familiar"};

/*
 * The six basic education modules of the Shanghai model's CSMGs, run again
 * and again at the monthly group meetings (course template "sh-basic"). The
 * titles are illustrative: understanding diabetes, diet, physical activity,
 * medication, monitoring and complications, emotions and coping.
 */
static const struct {
    const char *note;
    uint32_t topics;
} csmg_modules[] = {
    {"小组活动：认识糖尿病", (1u << PL_TOPIC_REDUCING_RISKS) | (1u << PL_TOPIC_CLINIC_VISITS)},
    {"小组活动：合理饮食", 1u << PL_TOPIC_HEALTHY_EATING},
    {"小组活动：适量运动", 1u << PL_TOPIC_BEING_ACTIVE},
    {"小组活动：规范用药", 1u << PL_TOPIC_TAKING_MEDICATION},
    {"小组活动：血糖监测与预防并发症",
     (1u << PL_TOPIC_MONITORING) | (1u << PL_TOPIC_REDUCING_RISKS)},
    {"小组活动：情绪管理与应对",
     (1u << PL_TOPIC_HEALTHY_COPING) | (1u << PL_TOPIC_PROBLEM_SOLVING)},
};

/* The four weekly DSME classes of Mi Salud's high-need package (course template "msp-dsme"). */
static const struct {
    const char *note;
    uint32_t topics;
} dsme_classes[] = {
    {"Clase DSME 1: alimentación saludable", 1u << PL_TOPIC_HEALTHY_EATING},
    {"Clase DSME 2: actividad física", 1u << PL_TOPIC_BEING_ACTIVE},
    {"Clase DSME 3: uso del glucómetro", 1u << PL_TOPIC_MONITORING},
    {"Clase DSME 4: medicamentos y complicaciones",
     (1u << PL_TOPIC_TAKING_MEDICATION) | (1u << PL_TOPIC_REDUCING_RISKS)},
};

/* ---- small helpers ------------------------------------------------------ */

static uint64_t mix64(uint64_t z)
{
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void rng_for(pl_rng *r, uint64_t seed, uint64_t stream, uint64_t index)
{
    pl_rng_seed(r, mix64(seed ^ mix64((stream << 48) ^ index)));
}

static bool chance(pl_rng *r, double p)
{
    return pl_rng_uniform(r) < p;
}

static double clampd(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* A normal deviate truncated to [lo, hi] by redrawing (clamped after 32 tries). */
static double tnormal(pl_rng *r, double mean, double sd, double lo, double hi)
{
    for (int i = 0; i < 32; i++) {
        double v = pl_rng_normal(r, mean, sd);
        if (v >= lo && v <= hi)
            return v;
    }
    return clampd(mean, lo, hi);
}

static const char *pick(pl_rng *r, const char *const *list, int n)
{
    return list[pl_rng_range(r, 0, n - 1)];
}
#define PICK(r, list) pick((r), (list), COUNT(list))

/* Index drawn from cumulative weights (summing to about 1; the last catches the rest). */
static int pick_weighted(pl_rng *r, const double *w, int n)
{
    double u = pl_rng_uniform(r), acc = 0;
    for (int i = 0; i < n - 1; i++) {
        acc += w[i];
        if (u < acc)
            return i;
    }
    return n - 1;
}

static int year_of(pl_date d)
{
    int y, m, dd;
    pl_date_to_ymd(d, &y, &m, &dd);
    return y;
}

/* Turns a validator's refusal into the generator's error: it is a generator bug. */
static pl_status refused(pl_err *err, const pl_err *v, const char *what, const char *ident)
{
    char field[64], text[192];
    snprintf(field, sizeof field, "%s", v->nfields > 0 ? v->fields[0].field : "record");
    snprintf(text, sizeof text, "%s", pl_err_text(v));
    *err = *v;
    return pl_err_set(err, PL_INVALID, "demo generated an invalid %s (%s): %s: %s", what,
                      ident ? ident : "-", field, text);
}

/* ---- the plan ----------------------------------------------------------- */

static void program_gen_free(program_gen *pg)
{
    free(pg->comm);
    free(pg->leader_id);
    free(pg->leader_person);
    free(pg->group_id);
    free(pg->sessions);
    pg->group_id = NULL;
    pg->sessions = NULL;
    pg->comm = NULL;
    pg->leader_id = NULL;
    pg->leader_person = NULL;
}

static pl_status plan_leaders(program_gen *pg, pl_err *err)
{
    pg->nleaders = 0;
    for (int c = 0; c < pg->ncomm; c++) {
        pg->comm[c].leader_off = pg->nleaders;
        pg->nleaders += pg->comm[c].nleaders;
    }
    size_t n = pg->nleaders > 0 ? (size_t)pg->nleaders : 1;
    pg->leader_id = calloc(n, sizeof *pg->leader_id);
    pg->leader_person = calloc(n, sizeof *pg->leader_person);
    if (!pg->leader_id || !pg->leader_person)
        return pl_err_set(err, PL_NOMEM, "demo: out of memory planning %d peer leaders",
                          pg->nleaders);
    return PL_OK;
}

/*
 * Shanghai: `n` participants (0: the reference shape of 2,160 in 16 communities).
 */
static pl_status plan_shanghai(demo_gen *g, int64_t n, pl_err *err)
{
    program_gen *pg = &g->sh;
    bool scaled = n > 0;
    pl_rng r;
    int *perm = NULL;
    pl_status st = PL_OK;

    pg->fl = FLAVOR_SHANGHAI;
    pg->stream_base = 0;
    pg->kf_mask = 0;
    if (!scaled)
        n = 2160;
    int ncomm = 16;
    if (scaled && n / 135 > 16)
        ncomm = (int)(n / 135);
    int nint = (ncomm * 3 + 2) / 4;
    int nd = scaled && ncomm / 3 > 6 ? ncomm / 3 : 6;
    pg->ncomm = ncomm;
    pg->ndistricts = nd;
    pg->n = n;
    pg->comm = calloc((size_t)ncomm, sizeof *pg->comm);
    perm = malloc((size_t)nd * sizeof *perm);
    if (!pg->comm || !perm) {
        st = pl_err_set(err, PL_NOMEM, "demo: out of memory planning %d communities", ncomm);
        goto fail;
    }
    rng_for(&r, g->seed, pg->stream_base + STREAM_PLAN, 0);

    /* communities, contiguous per district: 2-3 each in the reference shape */
    for (int c = 0; c < ncomm; c++) {
        community *cm = &pg->comm[c];
        cm->district = (int)((int64_t)c * nd / ncomm);
        cm->in_district =
            c > 0 && pg->comm[c - 1].district == cm->district ? pg->comm[c - 1].in_district + 1 : 0;
        cm->arm = PL_ARM_INTERVENTION;
        int base = cm->district % COUNT(sh_districts), round = cm->district / COUNT(sh_districts);
        if (round == 0)
            snprintf(cm->dname, sizeof cm->dname, "%s", sh_districts[base].name);
        else
            snprintf(cm->dname, sizeof cm->dname, "%s %d", sh_districts[base].name, round + 1);
        if (cm->in_district < 6)
            snprintf(cm->name, sizeof cm->name, "%s", sh_districts[base].sub[cm->in_district]);
        else
            snprintf(cm->name, sizeof cm->name, "%s Neighbourhood %d", cm->dname,
                     cm->in_district + 1);
    }

    /* arms stratified by district: districts in a drawn order take one control each,
       round after round, never giving up their last intervention community */
    for (int d = 0; d < nd; d++)
        perm[d] = d;
    for (int d = nd - 1; d > 0; d--) {
        int k = pl_rng_range(&r, 0, d), t = perm[d];
        perm[d] = perm[k];
        perm[k] = t;
    }
    int ncontrol = ncomm - nint, assigned = 0, since_last = 0;
    for (int k = 0; assigned < ncontrol; k++) {
        int d = perm[k % nd];
        int lo = (int)(((int64_t)d * ncomm + nd - 1) / nd); /* first community of d */
        int hi = lo, left = 0;
        while (hi < ncomm && pg->comm[hi].district == d)
            left += pg->comm[hi++].arm == PL_ARM_INTERVENTION;
        bool relax = since_last >= nd; /* a whole round without a place: allow the last one */
        if (left > 1 || (relax && left > 0)) {
            int pickn = pl_rng_range(&r, 0, left - 1);
            for (int c = lo; c < hi; c++) {
                if (pg->comm[c].arm != PL_ARM_INTERVENTION)
                    continue;
                if (pickn-- == 0) {
                    pg->comm[c].arm = PL_ARM_CONTROL;
                    break;
                }
            }
            assigned++;
            since_last = 0;
        } else {
            since_last++;
        }
    }

    /* participants: weights 2 (intervention) and 3 (control) give 120/180 in the reference */
    int64_t wtot = 0, wcum = 0;
    for (int c = 0; c < ncomm; c++)
        wtot += pg->comm[c].arm == PL_ARM_CONTROL ? 3 : 2;
    int lcum = 0;
    for (int c = 0; c < ncomm; c++) {
        community *cm = &pg->comm[c];
        cm->first = n * wcum / wtot;
        wcum += cm->arm == PL_ARM_CONTROL ? 3 : 2;
        cm->n = n * wcum / wtot - cm->first;
        cm->level = pl_rng_normal(&r, 0.0, 0.25);
        pl_rng fr;
        rng_for(&fr, g->seed, pg->stream_base + STREAM_FIDELITY, (uint64_t)c);
        cm->fidelity = 0.45 + 0.5 * pl_rng_uniform(&fr);
        if (cm->arm != PL_ARM_INTERVENTION || cm->n == 0)
            continue;
        /* ~8 per community in the reference, ~1 per 22 participants when scaled;
           a third of them (cumulatively) are participants themselves */
        cm->nleaders = scaled ? (int)((cm->n + 11) / 22) : 8;
        if (cm->nleaders < 2)
            cm->nleaders = 2;
        int before = lcum / 3;
        lcum += cm->nleaders;
        cm->npatients = lcum / 3 - before;
        if (cm->npatients > cm->nleaders - 1)
            cm->npatients = cm->nleaders - 1;
        if (cm->npatients > cm->n)
            cm->npatients = (int)cm->n;
    }
    st = plan_leaders(pg, err);
fail:
    free(perm);
    return st;
}

static pl_status plan_misalud(demo_gen *g, pl_err *err)
{
    program_gen *pg = &g->ms;
    pg->fl = FLAVOR_MISALUD;
    pg->stream_base = 16;
    pg->kf_mask = 1u << PL_KF_PROGRAM_FIRST_BIT;
    pg->ncomm = 1;
    pg->ndistricts = 0;
    pg->n = DEMO_MISALUD_N;
    pg->comm = calloc(1, sizeof *pg->comm);
    if (!pg->comm)
        return pl_err_set(err, PL_NOMEM, "demo: out of memory");
    community *cm = &pg->comm[0];
    cm->arm = PL_ARM_NONE;
    cm->fidelity = 0.7;
    cm->first = 0;
    cm->n = DEMO_MISALUD_N;
    cm->nleaders = DEMO_MISALUD_LEADERS;
    cm->npatients = 0;
    snprintf(cm->name, sizeof cm->name, "Alivio Medical Center");
    return plan_leaders(pg, err);
}

/* ---- persons ------------------------------------------------------------ */

typedef struct person_text {
    char phone[40];
    char address[200];
} person_text;

/* Fills a person of the program's culture; `age` in years on `on`. */
static void make_person(pl_rng *r, const program_gen *pg, const community *cm, bool female,
                        const char *language, int age, pl_date on, person_text *t, pl_person *p)
{
    memset(p, 0, sizeof *p);
    p->program_id = pg->program_id;
    p->sex = female ? PL_SEX_FEMALE : PL_SEX_MALE;
    p->language = language;
    p->birth_date = on - (pl_date)(age * 365.25) - pl_rng_range(r, 0, 364);
    if (pg->fl == FLAVOR_SHANGHAI) {
        p->family_name = PICK(r, zh_family);
        p->given_name = female ? PICK(r, zh_female) : PICK(r, zh_male);
        snprintf(t->phone, sizeof t->phone, "+86 13%d %04d %04d", pl_rng_range(r, 0, 9),
                 pl_rng_range(r, 0, 9999), pl_rng_range(r, 0, 9999));
        snprintf(t->address, sizeof t->address, "Lane %d, No. %d, Room %d%02d, %s, %s, Shanghai",
                 pl_rng_range(r, 1, 999), pl_rng_range(r, 1, 60), pl_rng_range(r, 1, 18),
                 pl_rng_range(r, 1, 4), cm->name, cm->dname);
    } else {
        bool en = language && strcmp(language, "en") == 0;
        p->family_name = PICK(r, es_family);
        if (en)
            p->given_name = female ? PICK(r, en_female) : PICK(r, en_male);
        else
            p->given_name = female ? PICK(r, es_female) : PICK(r, es_male);
        snprintf(t->phone, sizeof t->phone, "+1 773 555 %04d", pl_rng_range(r, 0, 9999));
        static const char *const zips[] = {"60608", "60623", "60632"};
        snprintf(t->address, sizeof t->address, "%d %s, Chicago, IL %s",
                 pl_rng_range(r, 1000, 4999), PICK(r, chicago_streets), PICK(r, zips));
    }
    p->phone = t->phone;
    p->address = t->address;
}

/* ---- setup writes -------------------------------------------------------- */

static pl_status put_unit(demo_gen *g, store_tx *tx, pl_org_unit *u, const pl_org_unit *parent,
                          pl_err *err)
{
    pl_err v;
    pl_err_clear(&v);
    if (org_unit_validate(u, parent, &v) != PL_OK)
        return refused(err, &v, "org unit", u->code);
    return store_org_unit_insert(tx, u, err);
}

/* Inserts a leader; when l->person.id is set the person is shared with a participant. */
static pl_status put_leader(demo_gen *g, program_gen *pg, store_tx *tx, int slot, pl_peer_leader *l,
                            pl_err *err)
{
    pl_err v;
    pl_err_clear(&v);
    if (peer_leader_validate(l, g->today, &v) != PL_OK)
        return refused(err, &v, "peer leader", l->person.given_name);
    pl_status st = store_peer_leader_insert(tx, l, err);
    if (st != PL_OK)
        return st;
    pg->leader_id[slot] = l->id;
    pg->leader_person[slot] = l->person.id;
    return PL_OK;
}

/* A peer leader or promotor who is not a participant. */
static pl_status put_plain_leader(demo_gen *g, program_gen *pg, store_tx *tx, int ci, int slot,
                                  pl_err *err)
{
    pl_rng r;
    person_text t;
    pl_peer_leader l = {0};
    const community *cm = &pg->comm[ci];
    rng_for(&r, g->seed, pg->stream_base + STREAM_LEADER, (uint64_t)slot);
    bool sh = pg->fl == FLAVOR_SHANGHAI;
    make_person(&r, pg, cm, chance(&r, sh ? 0.65 : 0.8), sh ? "zh-CN" : "es",
                pl_rng_range(&r, sh ? 45 : 28, sh ? 68 : 60), g->start, &t, &l.person);
    l.program_id = pg->program_id;
    l.home_unit_id = cm->id;
    l.kind = sh ? PL_LEADER_PEER_LEADER : PL_LEADER_PROMOTOR;
    l.paid = sh ? false : chance(&r, 0.35);
    l.languages = sh ? "zh-CN" : "es,en";
    l.trained_on = g->start - pl_rng_range(&r, sh ? 14 : 30, sh ? 90 : 365);
    l.training_hours = sh ? pl_rng_range(&r, 20, 40) : pl_rng_range(&r, 40, 80);
    l.active = true;
    return put_leader(g, pg, tx, slot, &l, err);
}

static pl_status write_network(store_tx *tx, void *ctx, pl_err *err)
{
    demo_gen *g = ctx;
    pl_org_unit net = {0};
    net.kind = PL_ORG_NETWORK;
    net.name = "Cities Changing Diabetes learning network";
    net.code = "CCD";
    net.language = "en";
    pl_status st = put_unit(g, tx, &net, NULL, err);
    g->network_id = net.id;
    return st;
}

static pl_status write_setup_shanghai(store_tx *tx, void *ctx, pl_err *err)
{
    demo_gen *g = ctx;
    program_gen *pg = &g->sh;
    pl_org_unit net = {.id = g->network_id, .kind = PL_ORG_NETWORK};
    pl_org_unit prog = {0}, dist = {0};
    char dname[64], dcode[24], cname[128], ccode[40], uname[160], ucode[48];
    pl_status st;

    prog.parent_id = g->network_id;
    prog.kind = PL_ORG_PROGRAM;
    prog.name = "Shanghai Integration Model";
    prog.code = "SH";
    prog.language = "zh-CN";
    if ((st = put_unit(g, tx, &prog, &net, err)) != PL_OK)
        return st;
    pg->program_id = prog.id;

    for (int c = 0; c < pg->ncomm; c++) {
        community *cm = &pg->comm[c];
        if (cm->in_district == 0) {
            memset(&dist, 0, sizeof dist);
            snprintf(dname, sizeof dname, "%s District", cm->dname);
            snprintf(dcode, sizeof dcode, "D%02d", cm->district + 1);
            dist.parent_id = prog.id;
            dist.program_id = prog.id;
            dist.kind = PL_ORG_DISTRICT;
            dist.name = dname;
            dist.code = dcode;
            if ((st = put_unit(g, tx, &dist, &prog, err)) != PL_OK)
                return st;
        }
        pl_org_unit com = {0};
        snprintf(cname, sizeof cname, "%s Community", cm->name);
        snprintf(ccode, sizeof ccode, "%s-C%02d", dcode, cm->in_district + 1);
        com.parent_id = dist.id;
        com.program_id = prog.id;
        com.kind = PL_ORG_COMMUNITY;
        com.name = cname;
        com.code = ccode;
        com.arm = cm->arm;
        if ((st = put_unit(g, tx, &com, &dist, err)) != PL_OK)
            return st;
        cm->id = com.id;

        pl_org_unit chc = {0}, rc = {0};
        snprintf(uname, sizeof uname, "%s Community Health Center", cm->name);
        snprintf(ucode, sizeof ucode, "%s-CHC", ccode);
        chc.parent_id = com.id;
        chc.program_id = prog.id;
        chc.kind = PL_ORG_CHC;
        chc.name = uname;
        chc.code = ucode;
        if ((st = put_unit(g, tx, &chc, &com, err)) != PL_OK)
            return st;
        snprintf(uname, sizeof uname, "%s Residential Committee", cm->name);
        snprintf(ucode, sizeof ucode, "%s-RC", ccode);
        rc.parent_id = com.id;
        rc.program_id = prog.id;
        rc.kind = PL_ORG_RESIDENTIAL_COMMITTEE;
        rc.name = uname;
        rc.code = ucode;
        if ((st = put_unit(g, tx, &rc, &com, err)) != PL_OK)
            return st;

        for (int k = cm->npatients; k < cm->nleaders; k++)
            if ((st = put_plain_leader(g, pg, tx, c, cm->leader_off + k, err)) != PL_OK)
                return st;
    }
    return PL_OK;
}

static pl_status write_setup_misalud(store_tx *tx, void *ctx, pl_err *err)
{
    demo_gen *g = ctx;
    program_gen *pg = &g->ms;
    pl_org_unit net = {.id = g->network_id, .kind = PL_ORG_NETWORK};
    pl_org_unit prog = {0}, practice = {0};
    pl_status st;

    prog.parent_id = g->network_id;
    prog.kind = PL_ORG_PROGRAM;
    prog.name = "Mi Salud Es Primero";
    prog.code = "MSP";
    prog.language = "es";
    if ((st = put_unit(g, tx, &prog, &net, err)) != PL_OK)
        return st;
    pg->program_id = prog.id;
    practice.parent_id = prog.id;
    practice.program_id = prog.id;
    practice.kind = PL_ORG_PRACTICE;
    practice.name = "Alivio Medical Center";
    practice.code = "AMC";
    if ((st = put_unit(g, tx, &practice, &prog, err)) != PL_OK)
        return st;
    pg->comm[0].id = practice.id;
    st = store_key_function_insert(tx, prog.id, PL_KF_PROGRAM_FIRST_BIT, "being_there",
                                   "Being there", err);
    if (st != PL_OK)
        return st;
    for (int k = 0; k < pg->comm[0].nleaders; k++)
        if ((st = put_plain_leader(g, pg, tx, 0, k, err)) != PL_OK)
            return st;
    return PL_OK;
}

/* The community of the demo's clinician and peer leader: the first intervention one. */
static const community *accounts_site(const demo_gen *g)
{
    for (int c = 0; c < g->sh.ncomm; c++)
        if (g->sh.comm[c].arm == PL_ARM_INTERVENTION && g->sh.comm[c].nleaders > 0)
            return &g->sh.comm[c];
    return NULL;
}

static pl_status write_accounts(store_tx *tx, void *ctx, pl_err *err)
{
    demo_gen *g = ctx;
    const community *site = accounts_site(g);
    if (!site)
        return pl_err_set(err, PL_INVALID, "demo: no intervention community for the accounts");
    static const char *const names[] = {
        "Demo administrator",        "张丽华 (program manager)", "陈建明 (CHC physician)", NULL,
        "Rosa Martínez (navigator)", "Evaluation team",
    };
    char leader_name[128];
    for (int k = 0; logins[k].username; k++) {
        pl_staff_account a = {0};
        pl_err v;
        pl_err_clear(&v);
        a.username = logins[k].username;
        a.display_name = names[k];
        a.created_at = g->now;
        if (pl_role_parse(logins[k].role, &a.role) != PL_OK)
            return pl_err_set(err, PL_INVALID, "demo: unknown role %s", logins[k].role);
        switch (a.role) {
        case PL_ROLE_ADMIN:
            a.scope_unit_id = 0;
            break;
        case PL_ROLE_CLINICIAN:
            a.scope_unit_id = site->id;
            break;
        case PL_ROLE_PEER_LEADER:
            a.scope_unit_id = site->id;
            a.person_id = g->sh.leader_person[site->leader_off + site->npatients];
            snprintf(leader_name, sizeof leader_name, "Peer leader, %s Community", site->name);
            a.display_name = leader_name;
            break;
        case PL_ROLE_NAVIGATOR:
            a.scope_unit_id = g->with_ms ? g->ms.program_id : g->sh.program_id;
            break;
        default:
            a.scope_unit_id = g->sh.program_id;
            break;
        }
        if (staff_account_validate(&a, &v) != PL_OK)
            return refused(err, &v, "staff account", a.username);
        pl_status st = store_staff_account_insert(tx, &a, g->hash[k], err);
        if (st != PL_OK)
            return st;
        if (a.role == PL_ROLE_CLINICIAN)
            g->clinician_id = a.id;
        if (a.role == PL_ROLE_NAVIGATOR)
            g->navigator_account = a.id;
        else if (a.role == PL_ROLE_PEER_LEADER)
            g->peer_account = a.id;
    }
    return PL_OK;
}

/* ---- participants --------------------------------------------------------- */

/* What one participant is like, drawn before anything is written. */
typedef struct latent {
    double engage;     /* 0.4-1.0: contacts, attendance and effect scale with it */
    double a1c_mu;     /* true HbA1c level */
    double a1c_base;   /* observed at wave 0 */
    double a1c_change; /* expected change over 12 months */
    double sbp_mu, dbp_mu, bp_change;
    double tc, hdl, tg;
    double height, wt_mu, wt_change;
} latent;

typedef struct part_ctx {
    demo_gen *g;
    program_gen *pg;
    store_tx *tx;
    const community *cm;
    pl_id pid;
    uint64_t index; /* the participant's number in the program (their rng streams) */
    pl_id leader;
    pl_date cend; /* last day of contacts */
    char ident[32];
} part_ctx;

static pl_status put_contact(part_ctx *x, pl_contact *c, pl_err *err)
{
    pl_err v;
    pl_err_clear(&v);
    c->program_id = x->pg->program_id;
    c->participant_id = x->pid;
    if (contact_validate(c, x->pg->kf_mask, x->g->now, &v) != PL_OK)
        return refused(err, &v, "contact", x->ident);
    return store_contact_insert(x->tx, c, err);
}

/*
 * Writes one measurement from a value in `unit` (NULL: the canonical unit), rounded to
 * `decimals`; *canonical receives the stored value.
 */
static pl_status put_measure(part_ctx *x, const char *code, const char *unit, double value,
                             int decimals, pl_time at, pl_source src, int wave, double *canonical,
                             pl_err *err)
{
    char text[32];
    pl_measurement m = {0};
    pl_err v;
    pl_err_clear(&v);
    if (unit) {
        const measure_def *d = measure_def_find(code);
        if (!d || measure_convert_from_canonical(d, value, unit, &value) != PL_OK)
            return pl_err_set(err, PL_INVALID, "demo: %s is not accepted in %s", code, unit);
    }
    snprintf(text, sizeof text, "%.*f", decimals, value);
    m.participant_id = x->pid;
    m.code = code;
    m.entered_value = text;
    m.entered_unit = unit;
    m.effective_at = at;
    m.source = src;
    m.wave = wave;
    if (measurement_prepare(&m, x->g->now, &v) != PL_OK)
        return refused(err, &v, "measurement", x->ident);
    if (canonical)
        *canonical = m.value;
    return store_measurement_insert(x->tx, &m, err);
}

static const double sh_topic_w[PL_TOPIC__COUNT] = {
    0.20, 0.15, 0.15, 0.15, 0.06, 0.10, 0.05, 0.07, 0.03, 0.04, 0.00,
};
static const double ms_topic_w[PL_TOPIC__COUNT] = {
    0.18, 0.12, 0.15, 0.13, 0.06, 0.10, 0.04, 0.08, 0.09, 0.05, 0.00,
};

/* The one-on-one, phone, text and home contacts of one participant. */
static pl_status write_contacts(part_ctx *x, pl_rng *r, const latent *lt, pl_date enrol,
                                bool high_need, pl_err *err)
{
    bool sh = x->pg->fl == FLAVOR_SHANGHAI;
    /* modes: one-on-one, home visit, phone, text, clinic accompaniment */
    static const pl_contact_mode modes[] = {PL_MODE_ONE_ON_ONE, PL_MODE_HOME_VISIT, PL_MODE_PHONE,
                                            PL_MODE_TEXT, PL_MODE_CLINIC_ACCOMPANIMENT};
    static const double sh_mode_w[] = {0.23, 0.10, 0.40, 0.22, 0.05};
    static const double ms_mode_w[] = {0.25, 0.05, 0.50, 0.15, 0.05};
    static const int min_lo[] = {15, 30, 5, 5, 30};
    static const int min_hi[] = {60, 60, 30, 15, 60};
    double lambda = (sh ? 3.0 : 2.0 + (high_need ? 1.0 : 0.0)) * lt->engage / 0.7;
    pl_status st;

    for (int month = 0; month < 12; month++) {
        pl_date mstart = enrol + month * DEMO_FOLLOW_DAYS / 12;
        if (mstart > x->cend)
            break;
        int n = pl_rng_poisson(r, lambda);
        n = n < 1 ? 1 : n > 6 ? 6 : n;
        for (int k = 0; k < n; k++) {
            pl_contact c = {0};
            pl_date day = mstart + pl_rng_range(r, 0, 29);
            int mi = pick_weighted(r, sh ? sh_mode_w : ms_mode_w, COUNT(modes));
            /* Shanghai 09:00-20:00 (UTC+8), Chicago 09:00-18:00 (UTC-5/-6) */
            int secs = sh ? pl_rng_range(r, 1 * 3600, 12 * 3600 - 1)
                          : pl_rng_range(r, 14 * 3600 + 1800, 23 * 3600 + 59 * 60);
            c.occurred_at = pl_date_time(day) + secs / 60 * 60;
            c.mode = modes[mi];
            c.minutes = pl_rng_range(r, min_lo[mi], min_hi[mi]);
            c.key_functions = 0;
            if (chance(r, 0.75))
                c.key_functions |= PL_KF_DAILY_MANAGEMENT;
            if (chance(r, 0.60))
                c.key_functions |= PL_KF_SOCIAL_EMOTIONAL;
            if (chance(r, sh ? 0.12 : 0.25) || c.mode == PL_MODE_CLINIC_ACCOMPANIMENT)
                c.key_functions |= PL_KF_LINKAGE;
            if (chance(r, 0.30))
                c.key_functions |= PL_KF_ONGOING;
            if (!sh && chance(r, 0.15))
                c.key_functions |= 1u << PL_KF_PROGRAM_FIRST_BIT; /* being there */
            if (!c.key_functions)
                c.key_functions = PL_KF_DAILY_MANAGEMENT;
            const double *tw = sh ? sh_topic_w : ms_topic_w;
            c.topics = 1u << pick_weighted(r, tw, PL_TOPIC__COUNT);
            if (chance(r, 0.5))
                c.topics |= 1u << pick_weighted(r, tw, PL_TOPIC__COUNT);
            if (c.key_functions & PL_KF_LINKAGE)
                c.topics |=
                    1u << (chance(r, 0.6) ? PL_TOPIC_CLINIC_VISITS : PL_TOPIC_COMMUNITY_RESOURCES);
            c.proactive = chance(r, 0.6);
            c.note = chance(r, 0.2) ? (sh ? PICK(r, zh_notes) : PICK(r, es_notes)) : NULL;
            c.follow_up_date = chance(r, 0.25) ? day + pl_rng_range(r, 7, 30) : PL_DATE_NONE;
            c.peer_leader_id = x->leader;
            if (day > x->cend || c.occurred_at > x->g->now)
                continue;
            if ((st = put_contact(x, &c, err)) != PL_OK)
                return st;
        }
    }
    return PL_OK;
}

typedef struct session {
    pl_date day;
    pl_time at;
    int minutes;
    int module;
} session;

static void session_get(const demo_gen *g, const program_gen *pg, int ci, int month, session *s)
{
    pl_rng r;
    rng_for(&r, g->seed, pg->stream_base + STREAM_SESSION, (uint64_t)ci * 64 + (uint64_t)month);
    s->day = g->start + month * 30 + pl_rng_range(&r, 2, 27);
    s->at = pl_date_time(s->day) + 6 * 3600 + pl_rng_range(&r, 0, 1) * 1800; /* 14:00 local */
    s->minutes = pl_rng_range(&r, 90, 120);
    s->module = month % COUNT(csmg_modules);
}

/*
 * A participant's membership of their group from enrolment: it ends the day after
 * their last day of follow-up (or of the course) unless that is still to come.
 */
static pl_status join_group(part_ctx *x, pl_id group_id, pl_date enrol, pl_date last_day,
                            const pl_participant *p, pl_err *err)
{
    pl_group_member m = {.group_id = group_id,
                         .participant_id = x->pid,
                         .joined_on = enrol,
                         .left_on = PL_DATE_NONE};
    if (last_day > x->cend)
        last_day = x->cend;
    if (p->status != PL_ENROL_ENROLLED || last_day < x->g->today) {
        m.left_on = last_day + 1;
        m.left_reason = p->status != PL_ENROL_ENROLLED ? p->status_reason
                        : x->pg->fl == FLAVOR_SHANGHAI ? "完成12个月随访"
                                                       : "Terminó el curso";
    }
    return store_group_member_add(x->tx, &m, err);
}

/* One member's attendance at a held session; not attending is absent or, now and then, excused. */
static pl_status attend(part_ctx *x, const pl_group_session *gs, bool came, int salt, pl_err *err)
{
    pl_attendance a = came                       ? PL_ATTEND_ATTENDED
                      : (x->pid + salt) % 3 == 0 ? PL_ATTEND_EXCUSED
                                                 : PL_ATTEND_ABSENT;
    pl_id contact;
    return store_group_attendance_set(x->tx, gs, x->pid, a, 0, x->g->now, &contact, err);
}

/* A Shanghai intervention participant joins their community's CSMG and attends its meetings. */
static pl_status write_group_sessions(part_ctx *x, pl_rng *r, const latent *lt, int ci,
                                      pl_date enrol, const pl_participant *p, pl_err *err)
{
    const program_gen *pg = x->pg;
    pl_status st = join_group(x, pg->group_id[ci], enrol, x->cend, p, err);
    for (int month = 0; st == PL_OK && month < DEMO_SESSION_MONTHS; month++) {
        const pl_group_session *gs = &pg->sessions[ci * DEMO_SESSION_MONTHS + month];
        pl_date day = pl_time_date(gs->scheduled_at);
        bool came = chance(r, lt->engage);
        if (day < enrol || day > x->cend || gs->scheduled_at > x->g->now)
            continue;
        st = attend(x, gs, came, month, err);
    }
    return st;
}

/* Mi Salud's high-need package: the four weekly two-hour DSME classes of their fortnight. */
static pl_status write_dsme_classes(part_ctx *x, pl_rng *r, pl_date enrol, const pl_participant *p,
                                    pl_err *err)
{
    const program_gen *pg = x->pg;
    int cohort = (enrol - x->g->start) / DEMO_COHORT_DAYS;
    if (cohort >= pg->ngroups)
        cohort = pg->ngroups - 1;
    const pl_group_session *cls = &pg->sessions[cohort * COUNT(dsme_classes)];
    pl_date last = pl_time_date(cls[COUNT(dsme_classes) - 1].scheduled_at);
    pl_status st = join_group(x, pg->group_id[cohort], enrol, last, p, err);
    for (int k = 0; st == PL_OK && k < COUNT(dsme_classes); k++) {
        bool came = chance(r, 0.85);
        if (pl_time_date(cls[k].scheduled_at) > x->cend || cls[k].scheduled_at > x->g->now)
            continue;
        st = attend(x, &cls[k], came, k, err);
    }
    return st;
}

/* ---- groups, templates and sessions (before the participant stream) ------------------ */

static pl_status put_template(demo_gen *g, program_gen *pg, store_tx *tx, const char *code,
                              const char *name, int sessions, int interval, int minutes,
                              uint32_t kf, const char *const *titles, pl_err *err)
{
    char modules[1024];
    size_t len = 0;
    modules[0] = '\0';
    for (int k = 0; k < sessions; k++)
        len +=
            (size_t)snprintf(modules + len, sizeof modules - len, "%s%s", k ? "\n" : "", titles[k]);
    pl_course_template t = {.program_id = pg->program_id,
                            .code = code,
                            .name = name,
                            .sessions = sessions,
                            .interval_days = interval,
                            .minutes = minutes,
                            .key_functions = kf,
                            .modules = modules};
    pl_err v;
    pl_err_clear(&v);
    if (pl_course_template_validate(&t, pg->kf_mask, &v) != PL_OK)
        return refused(err, &v, "course template", code);
    pl_status st = store_course_template_insert(tx, &t, err);
    pg->template_id = t.id;
    (void)g;
    return st;
}

static pl_status put_group(program_gen *pg, store_tx *tx, pl_group *gr, int index, pl_err *err)
{
    pl_err v;
    pl_err_clear(&v);
    gr->program_id = pg->program_id;
    gr->active = true;
    if (pl_group_validate(gr, &v) != PL_OK)
        return refused(err, &v, "group", gr->name);
    pl_status st = store_group_insert(tx, gr, err);
    pg->group_id[index] = gr->id;
    return st;
}

/* Inserts session gs (held when it lies in the past) as sessions[index]. */
static pl_status put_session(demo_gen *g, program_gen *pg, store_tx *tx, pl_group_session *gs,
                             int index, pl_err *err)
{
    char code[24];
    snprintf(code, sizeof code, "%s-%d", pg->fl == FLAVOR_SHANGHAI ? "sh-basic" : "msp-dsme",
             gs->module_no);
    gs->module_code = code;
    gs->template_id = pg->template_id;
    gs->status = gs->scheduled_at <= g->now ? PL_SESSION_HELD : PL_SESSION_SCHEDULED;
    pl_err v;
    pl_err_clear(&v);
    if (pl_group_session_validate(gs, pg->kf_mask, &v) != PL_OK)
        return refused(err, &v, "group session", gs->topic);
    pl_status st = store_group_session_insert(tx, gs, err);
    gs->module_code = NULL; /* the buffer ends here; the stream needs none of the text */
    gs->location = NULL;
    pg->sessions[index] = *gs;
    return st;
}

static pl_status alloc_groups(program_gen *pg, int ngroups, int per, pl_err *err)
{
    pg->ngroups = ngroups;
    pg->sessions_per_group = per;
    pg->group_id = calloc((size_t)(ngroups ? ngroups : 1), sizeof *pg->group_id);
    pg->sessions = calloc((size_t)(ngroups ? ngroups : 1) * (size_t)per, sizeof *pg->sessions);
    if (!pg->group_id || !pg->sessions)
        return pl_err_set(err, PL_NOMEM, "demo: out of memory planning %d groups", ngroups);
    return PL_OK;
}

/*
 * Shanghai: the "sh-basic" template and, in each intervention community, a CSMG led by its
 * first peer leader who is not a patient (in the demo site: the "peer" login, co-led by the
 * "clinician" login) meeting monthly at the CHC, cycling through the six modules.
 */
static pl_status write_groups_shanghai(store_tx *tx, void *ctx, pl_err *err)
{
    demo_gen *g = ctx;
    program_gen *pg = &g->sh;
    const char *titles[COUNT(csmg_modules)];
    for (int k = 0; k < COUNT(csmg_modules); k++)
        titles[k] = csmg_modules[k].note;
    const uint32_t kf = PL_KF_DAILY_MANAGEMENT | PL_KF_SOCIAL_EMOTIONAL | PL_KF_ONGOING;
    pl_status st = put_template(g, pg, tx, "sh-basic", "基础教育课程（6个模块）",
                                COUNT(csmg_modules), 30, 120, kf, titles, err);
    if (st != PL_OK)
        return st;
    bool site = true;
    char name[160], place[160];
    for (int c = 0; c < pg->ncomm; c++) {
        const community *cm = &pg->comm[c];
        if (cm->arm != PL_ARM_INTERVENTION || cm->nleaders == 0)
            continue;
        snprintf(name, sizeof name, "%s社区自我管理小组", cm->name);
        snprintf(place, sizeof place, "%s Community Health Center, meeting room", cm->name);
        pl_group gr = {.unit_id = cm->id,
                       .kind = PL_GROUP_CSMG,
                       .name = name,
                       .peer_leader_id = pg->leader_id[cm->leader_off + cm->npatients],
                       .co_leader_id = site ? g->clinician_id : 0,
                       .language = "zh-CN",
                       .location = place};
        site = false;
        if ((st = put_group(pg, tx, &gr, c, err)) != PL_OK)
            return st;
        for (int month = 0; month < DEMO_SESSION_MONTHS; month++) {
            session ss;
            session_get(g, pg, c, month, &ss);
            pl_group_session gs = {.group_id = gr.id,
                                   .peer_leader_id = gr.peer_leader_id,
                                   .scheduled_at = ss.at,
                                   .minutes = ss.minutes,
                                   .topic = csmg_modules[ss.module].note,
                                   .module_no = ss.module + 1,
                                   .location = place,
                                   .key_functions = kf,
                                   .topics = csmg_modules[ss.module].topics};
            if ((st = put_session(g, pg, tx, &gs, c * DEMO_SESSION_MONTHS + month, err)) != PL_OK)
                return st;
        }
    }
    return PL_OK;
}

/*
 * Mi Salud: the "msp-dsme" template (4 weekly 2-hour classes) scheduled once per enrolment
 * fortnight for that fortnight's high-need participants, each class group led by a promotor.
 */
static pl_status write_groups_misalud(store_tx *tx, void *ctx, pl_err *err)
{
    demo_gen *g = ctx;
    program_gen *pg = &g->ms;
    const char *titles[COUNT(dsme_classes)];
    for (int k = 0; k < COUNT(dsme_classes); k++)
        titles[k] = dsme_classes[k].note;
    const uint32_t kf = PL_KF_DAILY_MANAGEMENT | PL_KF_SOCIAL_EMOTIONAL;
    pl_status st = put_template(g, pg, tx, "msp-dsme", "Clases DSME (4 semanas)",
                                COUNT(dsme_classes), 7, 120, kf, titles, err);
    if (st != PL_OK)
        return st;
    char name[96];
    const char *place = "Alivio Medical Center, sala de conferencias";
    for (int c = 0; c < pg->ngroups; c++) {
        snprintf(name, sizeof name, "Clase DSME, grupo %d", c + 1);
        pl_group gr = {.unit_id = pg->comm[0].id,
                       .kind = PL_GROUP_DSME_CLASS,
                       .name = name,
                       .peer_leader_id = pg->leader_id[c % pg->nleaders],
                       .language = "es",
                       .location = place};
        if ((st = put_group(pg, tx, &gr, c, err)) != PL_OK)
            return st;
        for (int k = 0; k < COUNT(dsme_classes); k++) {
            pl_date day = g->start + DEMO_COHORT_DAYS * (c + 1) + 3 + 7 * k;
            pl_group_session gs = {.group_id = gr.id,
                                   .peer_leader_id = gr.peer_leader_id,
                                   .scheduled_at = pl_date_time(day) + 23 * 3600, /* 18:00 */
                                   .minutes = 120,
                                   .topic = dsme_classes[k].note,
                                   .module_no = k + 1,
                                   .location = place,
                                   .key_functions = kf,
                                   .topics = dsme_classes[k].topics};
            if ((st = put_session(g, pg, tx, &gs, c * COUNT(dsme_classes) + k, err)) != PL_OK)
                return st;
        }
    }
    return PL_OK;
}

/* Waves 0, 6 and 12: HbA1c, blood pressure, lipids, weight (height at 0) and BMI. */
static pl_status write_measurements(part_ctx *x, pl_rng *r, const latent *lt, pl_date enrol,
                                    const pl_participant *p, pl_err *err)
{
    static const int waves[] = {0, 6, 12};
    bool sh = x->pg->fl == FLAVOR_SHANGHAI;
    /* Mi Salud's EMR sends US units */
    const char *chol_unit = sh ? NULL : "mg/dL";
    const char *wt_unit = sh ? NULL : "[lb_av]";
    const char *ht_unit = sh ? NULL : "[in_i]";
    int chol_dp = sh ? 2 : 0;
    pl_source lab = sh ? PL_SOURCE_LAB : PL_SOURCE_EMR;
    pl_source poc = sh ? PL_SOURCE_POINT_OF_CARE : PL_SOURCE_EMR;
    double height = 0;
    pl_status st;

    for (int wi = 0; wi < COUNT(waves); wi++) {
        int w = waves[wi];
        double f = w / 12.0;
        pl_date day = enrol + (w == 0 ? 0 : w * 365 / 12 + pl_rng_range(r, -10, 10));
        pl_time at = pl_date_time(day) +
                     (sh ? pl_rng_range(r, 0, 3 * 3600) : pl_rng_range(r, 14 * 3600, 21 * 3600));
        bool missing = w > 0 && chance(r, sh ? 0.08 : 0.15);
        bool lipids_missing = chance(r, 0.05);
        /* draw every value whether or not the wave is kept, so skips do not shift the stream */
        double a1c =
            w == 0 ? lt->a1c_base : lt->a1c_mu + lt->a1c_change * f + pl_rng_normal(r, 0, 0.6);
        double sbp = lt->sbp_mu + lt->bp_change * f + pl_rng_normal(r, 0, 8);
        double dbp = lt->dbp_mu + lt->bp_change * 0.5 * f + pl_rng_normal(r, 0, 5);
        double tc = lt->tc + pl_rng_normal(r, 0, 0.35);
        double hdl = lt->hdl + pl_rng_normal(r, 0, 0.08);
        double tg = lt->tg * exp(pl_rng_normal(r, 0, 0.2));
        double wt = lt->wt_mu + lt->wt_change * f + pl_rng_normal(r, 0, 1.0);
        if (missing || at > x->g->now)
            continue;
        if (w > 0 && p->status != PL_ENROL_ENROLLED && day > p->status_date)
            continue;

        a1c = clampd(a1c, 4.0, 15.0);
        if ((st = put_measure(x, "4548-4", NULL, a1c, 1, at, lab, w, NULL, err)) != PL_OK)
            return st;

        long isbp = lround(clampd(sbp, 90, 230)), idbp = lround(clampd(dbp, 50, 130));
        if (isbp < idbp + 15)
            isbp = idbp + 15;
        pl_err v;
        pl_err_clear(&v);
        if (measure_bp_validate((double)isbp, (double)idbp, &v) != PL_OK)
            return refused(err, &v, "blood pressure", x->ident);
        if ((st = put_measure(x, "8480-6", NULL, (double)isbp, 0, at, poc, w, NULL, err)) != PL_OK)
            return st;
        if ((st = put_measure(x, "8462-4", NULL, (double)idbp, 0, at, poc, w, NULL, err)) != PL_OK)
            return st;

        if (!lipids_missing) {
            tc = clampd(tc, 2.5, 10.0);
            hdl = clampd(hdl, 0.5, 3.0);
            tg = clampd(tg, 0.3, 12.0);
            double ldl = clampd(tc - hdl - tg / 2.2, 0.5, 7.0); /* Friedewald, mmol/L */
            if ((st = put_measure(x, "2093-3", chol_unit, tc, chol_dp, at, lab, w, NULL, err)) !=
                    PL_OK ||
                (st = put_measure(x, "13457-7", chol_unit, ldl, chol_dp, at, lab, w, NULL, err)) !=
                    PL_OK ||
                (st = put_measure(x, "2085-9", chol_unit, hdl, chol_dp, at, lab, w, NULL, err)) !=
                    PL_OK ||
                (st = put_measure(x, "2571-8", sh ? NULL : "mg/dL", tg, chol_dp, at, lab, w, NULL,
                                  err)) != PL_OK)
                return st;
        }

        if (w == 0 && (st = put_measure(x, "8302-2", ht_unit, lt->height, 1, at, poc, w, &height,
                                        err)) != PL_OK)
            return st;
        if (height <= 0)
            continue; /* no wave-0 height: no BMI */
        double kg = 0;
        if ((st = put_measure(x, "29463-7", wt_unit, clampd(wt, 35, 200), 1, at, poc, w, &kg,
                              err)) != PL_OK)
            return st;
        double bmi = clampd(kg / (height / 100.0 * height / 100.0), 13, 68);
        if ((st = put_measure(x, "39156-5", NULL, bmi, 1, at, poc, w, NULL, err)) != PL_OK)
            return st;
    }
    return PL_OK;
}

/* Scores answers[0..n) of instrument code and stores the response. */
static pl_status put_questionnaire(part_ctx *x, const char *code, const int *answers, int n,
                                   const char *lang, pl_time at, pl_err *err)
{
    const instrument_def *d = instrument_find(code);
    instrument_result res;
    pl_err v;
    pl_err_clear(&v);
    if (!d || instrument_score(d, answers, n, &res, &v) != PL_OK)
        return refused(err, &v, code, x->ident);
    store_questionnaire q = {
        .participant_id = x->pid, .instrument = code, .language = lang, .completed_at = at};
    pl_arena a;
    pl_arena_init(&a, 0);
    pl_status st = store_questionnaire_set_result(&q, &res, answers, n, &a, err);
    if (st == PL_OK)
        st = store_questionnaire_insert(x->tx, &q, err);
    pl_arena_free(&a);
    return st;
}

/*
 * The DDS-17 and PHQ-9 at each wave, from their own rng stream (so the other
 * data do not move): distress (mean item score) and depressive symptoms fall
 * with engagement in intervention communities and the Mi Salud program. PHQ-9
 * item 9 is always 0 here: the demo opens no safety alerts (docs/DEMO.md).
 */
static pl_status write_questionnaires(part_ctx *x, const latent *lt, pl_date enrol,
                                      const pl_participant *p, const char *lang, pl_err *err)
{
    static const int waves[] = {0, 6, 12};
    pl_rng r;
    rng_for(&r, x->g->seed, x->pg->stream_base + STREAM_QUESTIONNAIRE, x->index);
    double dds_mu = tnormal(&r, 2.2, 0.6, 1.0, 5.5);
    double phq_mu = clampd(exp(pl_rng_normal(&r, log(4.5), 0.6)), 0, 24);
    double effect = x->cm->arm == PL_ARM_CONTROL ? 0.1 : lt->engage / 0.7 * x->cm->fidelity / 0.7;
    for (int wi = 0; wi < COUNT(waves); wi++) {
        int w = waves[wi];
        double f = w / 12.0;
        pl_date day = enrol + (w == 0 ? 0 : w * 365 / 12 + pl_rng_range(&r, -10, 10));
        pl_time at = pl_date_time(day) + pl_rng_range(&r, 9 * 3600, 17 * 3600);
        double dds = dds_mu - 0.35 * effect * f + pl_rng_normal(&r, 0, 0.25);
        double phq = phq_mu - 1.5 * effect * f + pl_rng_normal(&r, 0, 1.5);
        int dds_items[17], phq_items[9];
        for (int k = 0; k < 17; k++)
            dds_items[k] = (int)lround(clampd(dds + pl_rng_normal(&r, 0, 0.8), 1, 6));
        for (int k = 0; k < 8; k++) {
            double pk = clampd(phq / 24.0, 0, 1);
            phq_items[k] = chance(&r, pk) + chance(&r, pk) + chance(&r, pk);
        }
        phq_items[8] = 0;
        bool missing = w > 0 && chance(&r, 0.12);
        if (missing || at > x->g->now)
            continue;
        if (w > 0 && p->status != PL_ENROL_ENROLLED && day > p->status_date)
            continue;
        pl_status st = put_questionnaire(x, "dds17", dds_items, 17, lang, at, err);
        if (st == PL_OK)
            st = put_questionnaire(x, "phq9", phq_items, 9, lang, at + 600, err);
        if (st != PL_OK)
            return st;
    }
    return PL_OK;
}

static pl_treatment draw_treatment(pl_rng *r, bool sh)
{
    static const pl_treatment t[] = {PL_TREAT_ORAL, PL_TREAT_ORAL_AND_INSULIN, PL_TREAT_INSULIN,
                                     PL_TREAT_LIFESTYLE, PL_TREAT_OTHER_INJECTABLE};
    static const double sh_w[] = {0.62, 0.13, 0.08, 0.14, 0.03};
    static const double ms_w[] = {0.55, 0.18, 0.12, 0.10, 0.05};
    return t[pick_weighted(r, sh ? sh_w : ms_w, COUNT(t))];
}

/*
 * Support goes on after the evaluation year: a short check-in every 7-21
 * days up to today (over at most the last DEMO_ONGOING_DAYS) for a
 * participant still enrolled, drawn from a stream
 * of its own so the year's data stay as they were. About one in ten has
 * lapsed for the last 3-6 weeks: the worklist's overdue follow-ups.
 */
static pl_status write_ongoing(part_ctx *x, uint64_t index, pl_date from, pl_err *err)
{
    pl_rng r;
    rng_for(&r, x->g->seed, x->pg->stream_base + STREAM_ONGOING, index);
    /* a demo that ended long ago keeps only its last quarter of check-ins */
    if (from < x->g->today - DEMO_ONGOING_DAYS)
        from = x->g->today - DEMO_ONGOING_DAYS;
    pl_date until = x->g->today - (chance(&r, 0.1) ? pl_rng_range(&r, 21, 42) : 0);
    for (pl_date day = from + pl_rng_range(&r, 0, 13); day <= until;
         day += pl_rng_range(&r, 7, 21)) {
        pl_contact c = {0};
        c.occurred_at = pl_date_time(day) + pl_rng_range(&r, 1, 11) * 3600;
        if (c.occurred_at > x->g->now)
            break;
        c.mode = chance(&r, 0.7) ? PL_MODE_PHONE : PL_MODE_TEXT;
        c.minutes = pl_rng_range(&r, 5, 20);
        c.key_functions = PL_KF_ONGOING | (chance(&r, 0.5) ? PL_KF_SOCIAL_EMOTIONAL : 0);
        c.topics = 1u << (chance(&r, 0.5) ? PL_TOPIC_MONITORING : PL_TOPIC_HEALTHY_COPING);
        c.proactive = true;
        c.follow_up_date = PL_DATE_NONE;
        c.peer_leader_id = x->leader;
        pl_status st = put_contact(x, &c, err);
        if (st != PL_OK)
            return st;
    }
    return PL_OK;
}

/* Participant i (program-wide index) of community ci, j-th inside it. */
static pl_status write_participant(demo_gen *g, program_gen *pg, store_tx *tx, int ci, int64_t i,
                                   int64_t j, pl_err *err)
{
    const community *cm = &pg->comm[ci];
    bool sh = pg->fl == FLAVOR_SHANGHAI;
    bool leader_too = j < cm->npatients;
    pl_rng r;
    person_text t;
    latent lt;
    pl_participant p = {0};
    part_ctx x = {.g = g, .pg = pg, .tx = tx, .cm = cm, .index = (uint64_t)i};
    char mrn[32];
    pl_err v;
    pl_status st;

    rng_for(&r, g->seed, pg->stream_base + STREAM_PARTICIPANT, (uint64_t)i);
    snprintf(x.ident, sizeof x.ident, "%s-%06lld", sh ? "SH" : "MSP", (long long)i + 1);
    snprintf(mrn, sizeof mrn, "MRN-%08lld", (long long)i + (sh ? 10000001 : 40000001));

    /* who */
    bool female = chance(&r, sh ? 0.55 : 0.62);
    const char *lang = sh ? "zh-CN" : chance(&r, 0.82) ? "es" : "en";
    int age = sh ? pl_rng_range(&r, 45, 80) : pl_rng_range(&r, 30, 75);
    pl_date enrol = g->start + pl_rng_range(&r, 0, g->enrol_days - 1);
    make_person(&r, pg, cm, female, lang, age, enrol, &t, &p.person);

    /* clinical picture */
    lt.engage = 0.4 + 0.6 * pl_rng_uniform(&r);
    double a1c_mean = sh ? 8.3 : 8.4, a1c_sd = sh ? 1.35 : 1.6;
    lt.a1c_base = 0;
    lt.a1c_mu = 0;
    for (int k = 0; k < 32; k++) {
        lt.a1c_mu = a1c_mean + cm->level + pl_rng_normal(&r, 0, a1c_sd);
        lt.a1c_base = lt.a1c_mu + pl_rng_normal(&r, 0, 0.6);
        if (lt.a1c_base >= 5.0 && lt.a1c_base <= 14.0)
            break;
    }
    lt.a1c_base = clampd(lt.a1c_base, 5.0, 14.0);
    pl_risk_tier tier = PL_RISK_STANDARD;
    if (sh)
        tier = lt.a1c_base >= 9.0 ? PL_RISK_HIGH_NEED : PL_RISK_STANDARD;
    else if (chance(&r, lt.a1c_base >= 9.0 ? 0.33 : 0.02))
        tier = PL_RISK_HIGH_NEED;
    double slope_noise = pl_rng_normal(&r, 0, 0.3);
    if (cm->arm == PL_ARM_INTERVENTION)
        lt.a1c_change = -0.1 - 0.4 * lt.engage / 0.7 * cm->fidelity / 0.7 + slope_noise;
    else if (cm->arm == PL_ARM_CONTROL)
        lt.a1c_change = -0.1 + slope_noise;
    else
        lt.a1c_change = (tier == PL_RISK_HIGH_NEED ? -0.9 : -0.3) * lt.engage / 0.7 + slope_noise;
    lt.sbp_mu = tnormal(&r, sh ? 138 : 134, 16, 100, 200);
    lt.dbp_mu = clampd(84 + 0.45 * (lt.sbp_mu - 138) + pl_rng_normal(&r, 0, 7), 55, 120);
    lt.bp_change = cm->arm == PL_ARM_CONTROL ? -1.0 : -4.0 * lt.engage / 0.7;
    lt.tc = tnormal(&r, 5.1, 0.9, 3.0, 9.0);
    lt.hdl = tnormal(&r, female ? 1.35 : 1.15, 0.28, 0.6, 2.6);
    lt.tg = clampd(exp(pl_rng_normal(&r, log(1.7), 0.4)), 0.4, 9.0);
    lt.height = sh ? tnormal(&r, female ? 157.5 : 169.5, 6, 140, 195)
                   : tnormal(&r, female ? 155 : 168, 6.5, 138, 195);
    double bmi = sh ? tnormal(&r, 25.3, 3.3, 17, 42) : tnormal(&r, 31.5, 5.5, 19, 55);
    lt.wt_mu = bmi * (lt.height / 100) * (lt.height / 100);
    lt.wt_change = cm->arm == PL_ARM_CONTROL ? -0.2 : -1.2 * lt.engage / 0.7;

    /* the participant record */
    p.program_id = pg->program_id;
    p.program_ident = x.ident;
    p.mrn = mrn;
    int maxdur = age - 35 < 0 ? 0 : age - 35 > 25 ? 25 : age - 35;
    int dur = pl_rng_range(&r, 0, maxdur);
    p.diagnosis_year = year_of(enrol) - dur;
    p.treatment = draw_treatment(&r, sh);
    p.enrol_date = enrol;
    p.consent = true;
    p.consent_date = enrol;
    p.home_unit_id = cm->id;
    p.risk_tier = tier;
    p.status = PL_ENROL_ENROLLED;
    p.status_date = PL_DATE_NONE;
    double u = pl_rng_uniform(&r);
    pl_date left = enrol + pl_rng_range(&r, 30, 330);
    if (left > g->today)
        left = g->today;
    const char *why = sh ? PICK(&r, zh_withdraw) : PICK(&r, es_withdraw);
    if (!leader_too && u < 0.05) {
        p.status = PL_ENROL_WITHDRAWN;
        p.status_date = left;
        p.status_reason = why;
    } else if (!leader_too && u < 0.08) {
        p.status = PL_ENROL_LOST;
        p.status_date = left;
        p.status_reason = sh ? "多次联系不上" : "No se pudo contactar";
    }
    int nl = cm->nleaders;
    if (nl > 0) {
        int lo = leader_too ? cm->npatients : 0;
        x.leader = pg->leader_id[cm->leader_off + pl_rng_range(&r, lo, nl - 1)];
    }
    p.peer_leader_id = x.leader;

    pl_err_clear(&v);
    if (participant_validate(&p, g->today, &v) != PL_OK)
        return refused(err, &v, "participant", x.ident);
    if ((st = store_participant_insert(tx, &p, err)) != PL_OK)
        return st;
    x.pid = p.id;

    if (leader_too) {
        pl_peer_leader l = {0};
        l.person = p.person; /* person.id set: the same person */
        l.program_id = pg->program_id;
        l.home_unit_id = cm->id;
        l.kind = PL_LEADER_PEER_LEADER;
        l.paid = false;
        l.languages = "zh-CN";
        l.trained_on = g->start - pl_rng_range(&r, 14, 90);
        l.training_hours = pl_rng_range(&r, 20, 40);
        l.active = true;
        if ((st = put_leader(g, pg, tx, cm->leader_off + (int)j, &l, err)) != PL_OK)
            return st;
    }

    x.cend = enrol + DEMO_FOLLOW_DAYS - 1;
    if (x.cend > g->today)
        x.cend = g->today;
    if (p.status != PL_ENROL_ENROLLED && p.status_date < x.cend)
        x.cend = p.status_date;
    if (x.leader) {
        if ((st = write_contacts(&x, &r, &lt, enrol, tier == PL_RISK_HIGH_NEED, err)) != PL_OK)
            return st;
        if (sh && pg->group_id[ci])
            st = write_group_sessions(&x, &r, &lt, ci, enrol, &p, err);
        else if (!sh && tier == PL_RISK_HIGH_NEED)
            st = write_dsme_classes(&x, &r, enrol, &p, err);
        if (st != PL_OK)
            return st;
    }
    if ((st = write_measurements(&x, &r, &lt, enrol, &p, err)) != PL_OK ||
        (st = write_questionnaires(&x, &lt, enrol, &p, lang, err)) != PL_OK)
        return st;
    if (x.leader && p.status == PL_ENROL_ENROLLED &&
        (st = write_ongoing(&x, (uint64_t)i, enrol + DEMO_FOLLOW_DAYS, err)) != PL_OK)
        return st;
    store_risk_change rc = {
        .participant_id = p.id, .tier = pl_risk_tier_name(p.risk_tier), .reason = "at enrolment"};
    if ((st = store_risk_change_insert(tx, &rc, err)) != PL_OK)
        return st;
    /* the tier the rule gives from the latest HbA1c, DDS-17 and PHQ-9, with its history, and
       the follow-up task a program's worklist starts from, as the API keeps them */
    if ((st = store_risk_refresh(tx, p.id, NULL, 0, 0, NULL, err)) != PL_OK)
        return st;
    return store_followup_refresh(tx, p.id, err);
}

static pl_status write_batch(store_tx *tx, void *ctx, pl_err *err)
{
    demo_gen *g = ctx;
    program_gen *pg = g->cur;
    int ci = pg->cursor;
    for (int64_t i = pg->next; i < pg->batch_end; i++) {
        while (ci < pg->ncomm - 1 && i >= pg->comm[ci].first + pg->comm[ci].n)
            ci++;
        pl_status st = write_participant(g, pg, tx, ci, i, i - pg->comm[ci].first, err);
        if (st != PL_OK)
            return st;
    }
    pg->cursor = ci;
    pg->next = pg->batch_end;
    return PL_OK;
}

/* ---- studies ------------------------------------------------------------ */

static pl_status write_studies(store_tx *tx, void *ctx, pl_err *err)
{
    demo_gen *g = ctx;
    program_gen *pg = &g->sh;
    store_study st = {0};
    st.program_id = pg->program_id;
    st.name = "Shanghai Integration Model expansion: intervention vs control communities";
    st.description =
        "Cluster-randomised comparison of community peer support (12 intervention "
        "communities) with usual care (4 control communities), stratified by district.";
    st.subgroup_threshold = 8.0;
    st.target_intervention = 0;
    st.target_control = 0;
    eval_default_waves(&st);
    store_study_arm *arms = calloc((size_t)pg->ncomm, sizeof *arms);
    if (!arms)
        return pl_err_set(err, PL_NOMEM, "demo: out of memory");
    int n = 0;
    for (int c = 0; c < pg->ncomm; c++) {
        const community *cm = &pg->comm[c];
        if (cm->arm == PL_ARM_NONE)
            continue;
        arms[n++] = (store_study_arm){cm->id, cm->arm};
        *(cm->arm == PL_ARM_INTERVENTION ? &st.target_intervention : &st.target_control) +=
            (int)cm->n;
    }
    pl_status r = store_study_insert(tx, &st, err);
    if (r == PL_OK)
        r = store_study_arms_set(tx, st.id, arms, n, "org_units", 0, st.version, err);
    free(arms);
    if (r != PL_OK || !g->with_ms)
        return r;
    store_study ms = {0};
    ms.program_id = g->ms.program_id;
    ms.name = "Mi Salud Es Primero: before and after";
    ms.description = "Change from enrolment in the program's participants (no control arm).";
    ms.subgroup_threshold = 8.0;
    ms.target_intervention = (int)g->ms.n;
    ms.target_control = -1;
    eval_default_waves(&ms);
    return store_study_insert(tx, &ms, err);
}

/*
 * Implementation ratings: each intervention community (and the Mi Salud
 * practice) is rated on the default features for each past half-year since
 * the start, the scores following the community's fidelity, the same
 * fidelity that scales its participants' HbA1c change, so the report's
 * implementation association has something to find.
 */
static pl_status write_program_ratings(demo_gen *g, program_gen *pg, store_tx *tx, pl_err *err)
{
    int nf = 0;
    while (impl_default_features[nf].code)
        nf++;
    for (int c = 0; c < pg->ncomm; c++) {
        const community *cm = &pg->comm[c];
        if (cm->arm == PL_ARM_CONTROL || cm->n == 0)
            continue;
        pl_rng r;
        rng_for(&r, g->seed, pg->stream_base + STREAM_RATING, (uint64_t)c);
        for (int half = 0; half < 2; half++) {
            store_impl_rating ir = {.program_id = pg->program_id, .unit_id = cm->id};
            ir.period_start = g->start + half * 183;
            ir.period_end = ir.period_start + 182;
            if (ir.period_end > g->today)
                break;
            int scores[IMPL_FEATURES_MAX];
            for (int k = 0; k < nf; k++)
                scores[k] =
                    (int)lround(clampd(1 + 4 * cm->fidelity + pl_rng_normal(&r, 0, 0.7), 1, 5));
            char features[IMPL_FEATURES_MAX * 40], list[IMPL_FEATURES_MAX * 3];
            size_t fl = 0, ll = 0;
            for (int k = 0; k < nf; k++) {
                fl += (size_t)snprintf(features + fl, sizeof features - fl, "%s%s", k ? "," : "",
                                       impl_default_features[k].code);
                ll +=
                    (size_t)snprintf(list + ll, sizeof list - ll, "%s%d", k ? "," : "", scores[k]);
            }
            pl_err v;
            pl_err_clear(&v);
            impl_level level;
            if (impl_scores_check(scores, nf, nf, &ir.mean, &v) != PL_OK ||
                impl_level_of(ir.mean, &level) != PL_OK)
                return refused(err, &v, "implementation rating", cm->name);
            ir.level = impl_level_name(level);
            ir.features = features;
            ir.scores = list;
            ir.note = "Rated by the program's evaluation team from site visits and records";
            pl_status st = store_impl_rating_insert(tx, &ir, err);
            if (st != PL_OK)
                return st;
        }
    }
    return PL_OK;
}

static pl_status write_ratings(store_tx *tx, void *ctx, pl_err *err)
{
    demo_gen *g = ctx;
    pl_status st = write_program_ratings(g, &g->sh, tx, err);
    if (st == PL_OK && g->with_ms)
        st = write_program_ratings(g, &g->ms, tx, err);
    return st;
}

/* ---- entry points ------------------------------------------------------ */

const demo_login *demo_logins(void)
{
    return logins;
}

static pl_status stream_program(store *s, demo_gen *g, program_gen *pg, const demo_options *opt,
                                int64_t *done, int64_t total, pl_err *err)
{
    g->cur = pg;
    pg->next = 0;
    pg->cursor = 0;
    while (pg->next < pg->n) {
        pg->batch_end = pg->next + DEMO_BATCH < pg->n ? pg->next + DEMO_BATCH : pg->n;
        int64_t count = pg->batch_end - pg->next;
        pl_status st = store_write(s, write_batch, g, err);
        if (st != PL_OK)
            return st;
        *done += count;
        if (opt->progress)
            opt->progress(opt->progress_ctx, *done, total);
    }
    return PL_OK;
}

pl_status demo_generate(store *s, const demo_options *opt, pl_err *err)
{
    demo_gen *g = NULL;
    pl_status st = PL_OK;
    int64_t done = 0, total;

    if (opt->participants < 0 || opt->participants > DEMO_MAX_PARTICIPANTS)
        return pl_err_set(err, PL_USAGE, "demo: participants must be between 0 and %d",
                          DEMO_MAX_PARTICIPANTS);
    g = calloc(1, sizeof *g);
    if (!g)
        return pl_err_set(err, PL_NOMEM, "demo: out of memory");
    g->seed = opt->seed ? opt->seed : DEMO_DEFAULT_SEED;
    g->now = (pl_time)time(NULL);
    g->today = pl_time_date(g->now);
    g->start = opt->start_date != PL_DATE_NONE ? opt->start_date : g->today - DEMO_HISTORY_DAYS;
    if (g->start > g->today || g->start < pl_date_from_ymd(2001, 1, 1)) {
        st = pl_err_set(err, PL_USAGE, "demo: the start date must be between 2001-01-01 and today");
        goto fail;
    }
    g->enrol_days =
        g->today - g->start + 1 < DEMO_ENROL_DAYS ? g->today - g->start + 1 : DEMO_ENROL_DAYS;
    g->with_ms = opt->participants == 0;

    if ((st = plan_shanghai(g, opt->participants, err)) != PL_OK)
        goto fail;
    if (g->with_ms && (st = plan_misalud(g, err)) != PL_OK)
        goto fail;
    total = g->sh.n + (g->with_ms ? g->ms.n : 0);

    if ((st = store_write(s, write_network, g, err)) != PL_OK)
        goto fail;
    if ((st = store_write(s, write_setup_shanghai, g, err)) != PL_OK)
        goto fail;
    if (g->with_ms && (st = store_write(s, write_setup_misalud, g, err)) != PL_OK)
        goto fail;

    if (opt->with_accounts) {
        if ((st = auth_init(err)) != PL_OK)
            goto fail;
        for (int k = 0; logins[k].username; k++)
            if ((st = auth_password_hash(logins[k].password, g->hash[k], err)) != PL_OK)
                goto fail;
        if ((st = store_write(s, write_accounts, g, err)) != PL_OK)
            goto fail;
    }

    if ((st = alloc_groups(&g->sh, g->sh.ncomm, DEMO_SESSION_MONTHS, err)) != PL_OK ||
        (st = store_write(s, write_groups_shanghai, g, err)) != PL_OK)
        goto fail;
    if (g->with_ms &&
        ((st = alloc_groups(&g->ms, (g->enrol_days + DEMO_COHORT_DAYS - 1) / DEMO_COHORT_DAYS,
                            COUNT(dsme_classes), err)) != PL_OK ||
         (st = store_write(s, write_groups_misalud, g, err)) != PL_OK))
        goto fail;

    if ((st = stream_program(s, g, &g->sh, opt, &done, total, err)) != PL_OK)
        goto fail;
    if (g->with_ms && (st = stream_program(s, g, &g->ms, opt, &done, total, err)) != PL_OK)
        goto fail;
    if ((st = store_write(s, write_studies, g, err)) != PL_OK ||
        (st = store_write(s, write_ratings, g, err)) != PL_OK)
        goto fail;

    /* the reference demo's resource directories and referrals (demo_resources.c) */
    if (g->with_ms) {
        const community *site = accounts_site(g);
        demo_resources_options ro = {
            .misalud_program = g->ms.program_id,
            .misalud_practice = g->ms.comm[0].id,
            .navigator_account = g->navigator_account,
            .shanghai_program = g->sh.program_id,
            .shanghai_peer_leader = site ? g->sh.leader_id[site->leader_off + site->npatients] : 0,
            .peer_account = g->peer_account,
            .now = g->now};
        if ((st = demo_resources_generate(s, &ro, err)) != PL_OK)
            goto fail;
    }

fail:
    program_gen_free(&g->sh);
    program_gen_free(&g->ms);
    free(g);
    return st;
}
