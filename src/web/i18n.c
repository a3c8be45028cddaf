/*
 * i18n.c - the message catalog and locale formatting; see i18n.h.
 *
 * The catalog is one table sorted by key (bsearch; tests/unit/test_web.c
 * checks the order, that every column is filled, and that every key the
 * page files use is here). To add a string: add a row here with all three
 * languages, in key order, and use web_tr(w, "the.key") in a page.
 *
 * Language negotiation reads Accept-Language ("es-MX,es;q=0.9,en;q=0.5"):
 * each range's primary tag picks a language (zh with any region or script
 * is Simplified Chinese), the highest q wins, the first on a tie.
 */
#include "i18n.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const web_message catalog[] = {
    {"admin.active", {"Active", "Activa", "启用"}},
    {"admin.disable", {"Disable", "Desactivar", "停用"}},
    {"admin.disabled", {"Disabled", "Desactivada", "已停用"}},
    {"admin.edit", {"Change the account", "Cambiar la cuenta", "修改账户"}},
    {"admin.enable", {"Enable", "Activar", "启用"}},
    {"admin.everywhere", {"Everywhere", "Todo", "全部"}},
    {"admin.language", {"Language of the pages", "Idioma de las páginas", "页面语言"}},
    {"admin.language_browser",
     {"The browser's language", "El idioma del navegador", "浏览器的语言"}},
    {"admin.name", {"Name", "Nombre", "姓名"}},
    {"admin.new", {"New account", "Cuenta nueva", "新建账户"}},
    {"admin.password",
     {"Set a new password (the account is signed out everywhere)",
      "Poner una contraseña nueva (la cuenta se cierra en todas partes)",
      "设置新密码（该账户在所有设备上退出登录）"}},
    {"admin.role", {"Role", "Función", "角色"}},
    {"admin.scope", {"Scope", "Ámbito", "范围"}},
    {"admin.state", {"State", "Estado", "状态"}},
    {"admin.title", {"Accounts", "Cuentas", "账户"}},
    {"alert.hyperglycaemia", {"High blood glucose", "Glucosa alta", "高血糖"}},
    {"alert.hypoglycaemia", {"Low blood glucose", "Glucosa baja", "低血糖"}},
    {"alert.peer_concern",
     {"Concern raised by a peer leader", "Preocupación del líder de pares",
      "同伴支持者提出的关注"}},
    {"alert.self_harm_risk", {"Risk of self-harm", "Riesgo de autolesión", "自伤风险"}},
    {"alert.urgent_high_bp",
     {"Urgent high blood pressure", "Presión arterial muy alta", "血压危急偏高"}},
    {"alert.very_high_hba1c", {"Very high HbA1c", "HbA1c muy alta", "糖化血红蛋白极高"}},
    {"alerts.ack", {"Acknowledge", "Confirmar", "确认"}},
    {"alerts.conflict",
     {"This alert was already acknowledged.", "Esta alerta ya fue confirmada.",
      "此警报已被确认。"}},
    {"alerts.empty", {"No open alerts.", "No hay alertas abiertas.", "没有未处理的警报。"}},
    {"alerts.participant", {"Participant", "Participante", "参与者"}},
    {"alerts.title", {"Alert inbox", "Bandeja de alertas", "警报收件箱"}},
    {"analyte.bmi", {"Body mass index", "Índice de masa corporal", "体重指数"}},
    {"analyte.dbp", {"Diastolic blood pressure", "Presión diastólica", "舒张压"}},
    {"analyte.fasting_glucose", {"Fasting glucose", "Glucosa en ayunas", "空腹血糖"}},
    {"analyte.glucose", {"Glucose", "Glucosa", "血糖"}},
    {"analyte.hba1c", {"HbA1c", "HbA1c", "糖化血红蛋白"}},
    {"analyte.hdl", {"HDL cholesterol", "Colesterol HDL", "高密度脂蛋白胆固醇"}},
    {"analyte.height", {"Height", "Estatura", "身高"}},
    {"analyte.ldl", {"LDL cholesterol", "Colesterol LDL", "低密度脂蛋白胆固醇"}},
    {"analyte.other", {"Other", "Otro", "其他"}},
    {"analyte.phq2", {"PHQ-2 score", "Puntuación PHQ-2", "PHQ-2 评分"}},
    {"analyte.phq9", {"PHQ-9 score", "Puntuación PHQ-9", "PHQ-9 评分"}},
    {"analyte.sbp", {"Systolic blood pressure", "Presión sistólica", "收缩压"}},
    {"analyte.total_cholesterol", {"Total cholesterol", "Colesterol total", "总胆固醇"}},
    {"analyte.triglycerides", {"Triglycerides", "Triglicéridos", "甘油三酯"}},
    {"analyte.weight", {"Weight", "Peso", "体重"}},
    {"arm.control", {"Control", "Control", "对照组"}},
    {"arm.intervention", {"Intervention", "Intervención", "干预组"}},
    {"arm.none", {"–", "–", "–"}},
    {"astatus.acknowledged", {"Acknowledged", "Atendida", "已确认"}},
    {"astatus.open", {"Open", "Abierta", "未处理"}},
    {"astatus.resolved", {"Resolved", "Resuelta", "已解决"}},
    {"attend.absent", {"Absent", "Ausente", "缺席"}},
    {"attend.attended", {"Attended", "Asistió", "出席"}},
    {"attend.excused", {"Excused", "Justificado", "请假"}},
    {"band.high", {"High", "Alto", "高"}},
    {"band.little_or_no", {"Little or none", "Poco o nada", "很少或没有"}},
    {"band.mild", {"Mild", "Leve", "轻度"}},
    {"band.minimal", {"Minimal", "Mínimo", "极轻"}},
    {"band.moderate", {"Moderate", "Moderado", "中度"}},
    {"band.moderately_severe", {"Moderately severe", "Moderadamente grave", "中重度"}},
    {"band.negative", {"Negative screen", "Tamizaje negativo", "筛查阴性"}},
    {"band.positive", {"Positive screen", "Tamizaje positivo", "筛查阳性"}},
    {"band.severe", {"Severe", "Grave", "重度"}},
    {"chart.bp",
     {"Blood pressure (mmHg; dashed: diastolic)",
      "Presión arterial (mmHg; discontinua: diastólica)", "血压（毫米汞柱；虚线：舒张压）"}},
    {"chart.goal", {"Goal range", "Rango objetivo", "目标范围"}},
    {"chart.hba1c", {"HbA1c (%)", "HbA1c (%)", "糖化血红蛋白（%）"}},
    {"chart.hba1c_ifcc", {"HbA1c (mmol/mol)", "HbA1c (mmol/mol)", "糖化血红蛋白（mmol/mol）"}},
    {"chart.weight", {"Weight (kg)", "Peso (kg)", "体重（千克）"}},
    {"contact.followup", {"Follow-up date", "Fecha de seguimiento", "随访日期"}},
    {"contact.kf", {"Key functions", "Funciones clave", "关键功能"}},
    {"contact.log", {"Log a contact", "Registrar un contacto", "记录联系"}},
    {"contact.min", {"min", "min", "分钟"}},
    {"contact.minutes", {"Minutes", "Minutos", "分钟数"}},
    {"contact.mode", {"How did you meet?", "¿Cómo se comunicaron?", "联系方式"}},
    {"contact.note", {"Note", "Nota", "备注"}},
    {"contact.title", {"Log a contact", "Registrar un contacto", "记录联系"}},
    {"contact.topics", {"Topics", "Temas", "主题"}},
    {"dash.above9", {"HbA1c > 9 %", "HbA1c > 9 %", "糖化血红蛋白 > 9%"}},
    {"dash.arm", {"Arm", "Grupo", "组别"}},
    {"dash.below7", {"HbA1c < 7 %", "HbA1c < 7 %", "糖化血红蛋白 < 7%"}},
    {"dash.caseloads", {"Caseloads", "Cargas de casos", "个案负荷"}},
    {"dash.communities", {"Communities", "Comunidades", "社区"}},
    {"dash.community", {"Community", "Comunidad", "社区"}},
    {"dash.contacts", {"Contacts", "Contactos", "联系次数"}},
    {"dash.district", {"District", "Distrito", "区"}},
    {"dash.districts", {"Districts", "Distritos", "区"}},
    {"dash.enrolled", {"Enrolled", "Inscritos", "入组人数"}},
    {"dash.hba1c", {"HbA1c control", "Control de HbA1c", "糖化血红蛋白控制"}},
    {"dash.high_need", {"High need", "Alta necesidad", "高需求"}},
    {"dash.kf_mix",
     {"Key-function mix (% of contacts)", "Funciones clave (% de contactos)",
      "关键功能构成（占联系的百分比）"}},
    {"dash.leader", {"Peer leader", "Líder de pares", "同伴支持者"}},
    {"dash.level", {"Level", "Nivel", "水平"}},
    {"dash.overdue", {"Overdue tasks", "Tareas atrasadas", "逾期任务"}},
    {"dash.participants", {"Participants", "Participantes", "参与者"}},
    {"dash.per_month",
     {"Contacts per participant per month", "Contactos por participante por mes",
      "每位参与者每月联系次数"}},
    {"dash.period", {"Period", "Periodo", "期间"}},
    {"dash.period90",
     {"Activity over the last 90 days.", "Actividad de los últimos 90 días.",
      "最近 90 天的活动。"}},
    {"dash.ratings", {"Implementation ratings", "Calificaciones de implementación", "实施评分"}},
    {"dash.report",
     {"Open the study's outcome report", "Abrir el informe de resultados del estudio",
      "打开研究结果报告"}},
    {"dash.target", {"Target", "Meta", "目标"}},
    {"dash.title", {"Program dashboard", "Panel del programa", "项目仪表板"}},
    {"dash.unassigned",
     {"Participants with no peer leader", "Participantes sin líder de pares",
      "未分配同伴支持者的参与者"}},
    {"dash.unit", {"Unit", "Unidad", "单位"}},
    {"dash.wave", {"Time point", "Momento", "时间点"}},
    {"err.choose", {"Choose at least one.", "Elija al menos una opción.", "请至少选择一项。"}},
    {"err.csrf",
     {"This form has expired or did not come from this site. Go back, reload the page and try "
      "again.",
      "Este formulario caducó o no proviene de este sitio. Vuelva atrás, recargue la página e "
      "inténtelo de nuevo.",
      "此表单已过期或并非来自本网站。请返回、刷新页面后重试。"}},
    {"err.date",
     {"Enter a date (year-month-day).", "Escriba una fecha (año-mes-día).",
      "请输入日期（年-月-日）。"}},
    {"err.forbidden",
     {"Your role may not open this page.", "Su función no permite abrir esta página.",
      "您的角色无权打开此页面。"}},
    {"err.form",
     {"The form could not be saved; check it and try again.",
      "No se pudo guardar el formulario; revíselo e inténtelo de nuevo.",
      "表单无法保存，请检查后重试。"}},
    {"err.int",
     {"Enter a whole number in the allowed range.",
      "Escriba un número entero dentro del rango permitido.", "请输入允许范围内的整数。"}},
    {"err.invalid", {"Check this value.", "Revise este valor.", "请检查此值。"}},
    {"err.notfound", {"Not found.", "No encontrado.", "未找到。"}},
    {"err.number",
     {"Enter a number, such as 7.5.", "Escriba un número, por ejemplo 7,5.",
      "请输入数字，例如 7.5。"}},
    {"err.required", {"Fill in this field.", "Complete este campo.", "请填写此项。"}},
    {"err.server",
     {"Something went wrong; try again.", "Algo salió mal; inténtelo de nuevo.",
      "出现错误，请重试。"}},
    {"err.stale",
     {"Someone changed this record after you opened it. The form now shows its current "
      "version; check your changes and save again.",
      "Otra persona cambió este registro después de que lo abrió. El formulario muestra ahora "
      "su versión actual; revise sus cambios y guarde de nuevo.",
      "您打开此记录后，其他人修改了它。表单现已对应其当前版本；请检查您的修改后再次保存。"}},
    {"err.summary",
     {"Some fields need attention; see the messages beside them.",
      "Algunos campos necesitan atención; vea los mensajes junto a ellos.",
      "部分字段需要修改，请查看旁边的提示。"}},
    {"form.save", {"Save", "Guardar", "保存"}},
    {"group.attendance", {"Attendance", "Asistencia", "考勤"}},
    {"group.attended", {"Attended", "Asistieron", "出席"}},
    {"group.sessions", {"Group sessions", "Sesiones de grupo", "小组活动"}},
    {"kf.daily_management",
     {"Help with daily management", "Ayuda con el manejo diario", "日常管理帮助"}},
    {"kf.linkage",
     {"Linkage to care and resources", "Enlace con la atención y los recursos",
      "链接医疗和社区资源"}},
    {"kf.ongoing", {"Ongoing support", "Apoyo continuo", "持续支持"}},
    {"kf.social_emotional",
     {"Social and emotional support", "Apoyo social y emocional", "社会和情感支持"}},
    {"level.high", {"High", "Alto", "高"}},
    {"level.low", {"Low", "Bajo", "低"}},
    {"level.medium", {"Medium", "Medio", "中"}},
    {"login.failed",
     {"Wrong username or password.", "Usuario o contraseña incorrectos.", "用户名或密码错误。"}},
    {"login.password", {"Password", "Contraseña", "密码"}},
    {"login.submit", {"Sign in", "Entrar", "登录"}},
    {"login.throttled",
     {"Too many failed sign-ins; wait a little and try again.",
      "Demasiados intentos fallidos; espere un momento y vuelva a intentarlo.",
      "登录失败次数过多，请稍后再试。"}},
    {"login.title", {"Sign in", "Iniciar sesión", "登录"}},
    {"login.username", {"Username", "Usuario", "用户名"}},
    {"measure.record", {"Record a measurement", "Registrar una medición", "记录测量"}},
    {"measure.title", {"Record a measurement", "Registrar una medición", "记录测量"}},
    {"measure.unit", {"Unit", "Unidad", "单位"}},
    {"measure.unit_default", {"The program's unit", "La unidad del programa", "项目默认单位"}},
    {"measure.value", {"Value", "Valor", "数值"}},
    {"measure.what", {"Measurement", "Medición", "测量项目"}},
    {"mode.clinic_accompaniment",
     {"Clinic accompaniment", "Acompañamiento a la clínica", "陪同就诊"}},
    {"mode.group", {"Group session", "Sesión de grupo", "小组活动"}},
    {"mode.home_visit", {"Home visit", "Visita a domicilio", "家访"}},
    {"mode.neighbourhood_activity",
     {"Neighbourhood activity", "Actividad en el barrio", "社区活动"}},
    {"mode.one_on_one", {"In person", "En persona", "面对面"}},
    {"mode.other", {"Other", "Otro", "其他"}},
    {"mode.phone", {"Phone call", "Llamada telefónica", "电话"}},
    {"mode.text", {"Text message", "Mensaje de texto", "短信"}},
    {"month.1", {"Jan", "ene", "1"}},
    {"month.10", {"Oct", "oct", "10"}},
    {"month.11", {"Nov", "nov", "11"}},
    {"month.12", {"Dec", "dic", "12"}},
    {"month.2", {"Feb", "feb", "2"}},
    {"month.3", {"Mar", "mar", "3"}},
    {"month.4", {"Apr", "abr", "4"}},
    {"month.5", {"May", "may", "5"}},
    {"month.6", {"Jun", "jun", "6"}},
    {"month.7", {"Jul", "jul", "7"}},
    {"month.8", {"Aug", "ago", "8"}},
    {"month.9", {"Sep", "sep", "9"}},
    {"nav.accounts", {"Accounts", "Cuentas", "账户"}},
    {"nav.alerts", {"Alerts", "Alertas", "警报"}},
    {"nav.dashboard", {"Dashboard", "Panel", "仪表板"}},
    {"nav.home", {"Home", "Inicio", "首页"}},
    {"nav.language", {"Language", "Idioma", "语言"}},
    {"nav.logout", {"Sign out", "Cerrar sesión", "退出"}},
    {"nav.sessions", {"Groups", "Grupos", "小组"}},
    {"nav.worklist", {"Worklist", "Lista de trabajo", "工作清单"}},
    {"need.childcare", {"Childcare", "Cuidado infantil", "托儿"}},
    {"need.economic", {"Money", "Economía", "经济"}},
    {"need.education", {"Education", "Educación", "教育"}},
    {"need.food", {"Food", "Alimentación", "食物"}},
    {"need.health", {"Health", "Salud", "健康"}},
    {"need.housing", {"Housing", "Vivienda", "住房"}},
    {"need.legal", {"Legal", "Legal", "法律"}},
    {"need.other", {"Other", "Otra", "其他"}},
    {"need.transport", {"Transport", "Transporte", "交通"}},
    {"priority.alerts", {"Alerts", "Alertas", "警报"}},
    {"priority.attention_alert", {"Alert", "Alerta", "警报"}},
    {"priority.due_today", {"Due today", "Vence hoy", "今天到期"}},
    {"priority.late", {"Late", "Tarde", "延迟"}},
    {"priority.none", {"Nothing due", "Nada pendiente", "无待办"}},
    {"priority.overdue", {"Overdue", "Atrasado", "已逾期"}},
    {"priority.upcoming", {"Upcoming", "Próximo", "即将到期"}},
    {"priority.urgent_alert", {"Urgent alert", "Alerta urgente", "紧急警报"}},
    {"quest.back", {"Back to the record", "Volver al expediente", "返回档案"}},
    {"quest.band", {"Level", "Nivel", "程度"}},
    {"quest.fill", {"Fill in a questionnaire", "Llenar un cuestionario", "填写问卷"}},
    {"quest.result", {"Result", "Resultado", "结果"}},
    {"quest.title", {"Questionnaire", "Cuestionario", "问卷"}},
    {"quest.unscored",
     {"Too many items were left blank to give a score.",
      "Quedaron demasiadas preguntas sin responder para calcular la puntuación.",
      "未作答的题目过多，无法计分。"}},
    {"quest.urgent",
     {"An answer calls for urgent follow-up: the care team has been alerted.",
      "Una respuesta requiere seguimiento urgente: se avisó al equipo de atención.",
      "有回答需要紧急跟进：已通知医护团队。"}},
    {"record.alerts", {"Alerts", "Alertas", "警报"}},
    {"record.contacts", {"Contacts", "Contactos", "联系记录"}},
    {"record.date", {"Date", "Fecha", "日期"}},
    {"record.enrolled", {"Enrolled", "Inscripción", "入组日期"}},
    {"record.ident", {"Program ID", "ID del programa", "项目编号"}},
    {"record.latest", {"Latest readings", "Últimas mediciones", "最近测量"}},
    {"record.none", {"None yet.", "Ninguno todavía.", "暂无。"}},
    {"record.phone", {"Phone", "Teléfono", "电话"}},
    {"record.questionnaires", {"Questionnaires", "Cuestionarios", "问卷"}},
    {"record.referrals", {"Referrals", "Derivaciones", "转介"}},
    {"record.score", {"Score", "Puntuación", "得分"}},
    {"record.tasks", {"Open tasks", "Tareas abiertas", "待办任务"}},
    {"record.tier", {"Risk tier", "Nivel de riesgo", "风险等级"}},
    {"record.trends", {"Trends", "Tendencias", "趋势"}},
    {"refer.find", {"Search", "Buscar", "搜索"}},
    {"refer.need", {"Need", "Necesidad", "需求"}},
    {"refer.open", {"Refer", "Derivar", "转介"}},
    {"refer.search", {"Search the directory", "Buscar en el directorio", "搜索资源目录"}},
    {"refer.submit", {"Refer to this service", "Derivar a este servicio", "转介到此服务"}},
    {"refer.title",
     {"Refer to a community resource", "Derivar a un recurso comunitario", "转介到社区资源"}},
    {"role.admin", {"Administrator", "Administrador", "管理员"}},
    {"role.clinician", {"Clinician", "Clínico", "临床医生"}},
    {"role.evaluator", {"Evaluator", "Evaluador", "评估人员"}},
    {"role.navigator", {"Navigator", "Navegador", "导航员"}},
    {"role.peer_leader", {"Peer leader", "Líder de pares", "同伴支持者"}},
    {"role.program_manager", {"Program manager", "Gerente del programa", "项目经理"}},
    {"rstatus.accepted", {"Accepted", "Aceptada", "已接受"}},
    {"rstatus.cancelled", {"Cancelled", "Cancelada", "已取消"}},
    {"rstatus.completed", {"Completed", "Completada", "已完成"}},
    {"rstatus.declined", {"Declined", "Rechazada", "已拒绝"}},
    {"rstatus.made", {"Made", "Hecha", "已转介"}},
    {"rstatus.no_show", {"Did not attend", "No asistió", "未到场"}},
    {"rstatus.proposed", {"Proposed", "Propuesta", "拟转介"}},
    {"rstatus.sent", {"Sent", "Enviada", "已发送"}},
    {"severity.attention", {"Attention", "Atención", "注意"}},
    {"severity.urgent", {"Urgent", "Urgente", "紧急"}},
    {"sstatus.cancelled", {"Cancelled", "Cancelada", "已取消"}},
    {"sstatus.held", {"Held", "Realizada", "已举行"}},
    {"sstatus.scheduled", {"Scheduled", "Programada", "已安排"}},
    {"task.custom", {"Task", "Tarea", "任务"}},
    {"task.follow_up", {"Follow-up contact", "Contacto de seguimiento", "随访联系"}},
    {"task.manual", {"Task", "Tarea", "任务"}},
    {"task.referral", {"Check on a referral", "Revisar una derivación", "跟进转介"}},
    {"tier.high_need", {"High need", "Alta necesidad", "高需求"}},
    {"tier.standard", {"Standard", "Estándar", "标准"}},
    {"topic.being_active", {"Being active", "Actividad física", "积极运动"}},
    {"topic.clinic_visits", {"Clinic visits", "Visitas a la clínica", "门诊随访"}},
    {"topic.community_resources", {"Community resources", "Recursos comunitarios", "社区资源"}},
    {"topic.family", {"Family", "Familia", "家庭"}},
    {"topic.healthy_coping", {"Healthy coping", "Afrontamiento saludable", "健康应对"}},
    {"topic.healthy_eating", {"Healthy eating", "Alimentación saludable", "健康饮食"}},
    {"topic.monitoring", {"Monitoring", "Control de glucosa", "自我监测"}},
    {"topic.other", {"Other", "Otro", "其他"}},
    {"topic.problem_solving", {"Problem solving", "Resolver problemas", "解决问题"}},
    {"topic.reducing_risks", {"Reducing risks", "Reducir riesgos", "降低风险"}},
    {"topic.taking_medication", {"Taking medication", "Tomar los medicamentos", "按时服药"}},
    {"unit.%", {"% (NGSP)", "% (NGSP)", "%（NGSP）"}},
    {"unit.[lb_av]", {"lb", "lb", "磅"}},
    {"unit.kg", {"kg", "kg", "千克"}},
    {"unit.mg/dL", {"mg/dL", "mg/dL", "mg/dL"}},
    {"unit.mm[Hg]", {"mmHg", "mmHg", "毫米汞柱"}},
    {"unit.mmol/L", {"mmol/L", "mmol/L", "mmol/L"}},
    {"unit.mmol/mol", {"mmol/mol (IFCC)", "mmol/mol (IFCC)", "mmol/mol（IFCC）"}},
    {"wave.0", {"Baseline", "Línea de base", "基线"}},
    {"wave.12", {"12 months", "12 meses", "12 个月"}},
    {"worklist.due", {"Due", "Vence", "截止"}},
    {"worklist.empty",
     {"Nothing is due. Well done.", "No hay nada pendiente. ¡Bien hecho!",
      "没有待办事项，做得好。"}},
    {"worklist.title", {"My worklist", "Mi lista de trabajo", "我的工作清单"}},
};

#define NCAT ((int)(sizeof catalog / sizeof *catalog))

int web_catalog_size(void)
{
    return NCAT;
}

const web_message *web_catalog_at(int i)
{
    return i >= 0 && i < NCAT ? &catalog[i] : NULL;
}

const char *web_lang_code(web_lang l)
{
    static const char *const codes[WEB_LANG__COUNT] = {"en", "es", "zh-CN"};
    return (int)l >= 0 && l < WEB_LANG__COUNT ? codes[l] : "en";
}

const char *web_lang_name(web_lang l)
{
    static const char *const names[WEB_LANG__COUNT] = {"English", "Español", "中文"};
    return (int)l >= 0 && l < WEB_LANG__COUNT ? names[l] : "English";
}

int web_lang_from_code(const char *code)
{
    if (!code)
        return -1;
    size_t n = strcspn(code, "-_");
    if (n == 2 && strncasecmp(code, "en", 2) == 0)
        return WEB_LANG_EN;
    if (n == 2 && strncasecmp(code, "es", 2) == 0)
        return WEB_LANG_ES;
    if (n == 2 && strncasecmp(code, "zh", 2) == 0)
        return WEB_LANG_ZH;
    return -1;
}

web_lang web_lang_negotiate(const char *accept_language)
{
    web_lang best = WEB_LANG_EN;
    double best_q = 0;
    const char *p = accept_language;
    while (p && *p) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *end = p + strcspn(p, ",");
        char tag[24];
        size_t tl = strcspn(p, ";, ");
        if (tl >= sizeof tag)
            tl = sizeof tag - 1;
        memcpy(tag, p, tl);
        tag[tl] = '\0';
        double q = 1;
        const char *qp = strstr(p, ";q=");
        if (qp && qp < end)
            q = strtod(qp + 3, NULL);
        int l = web_lang_from_code(tag);
        if (l >= 0 && q > best_q) {
            best = (web_lang)l;
            best_q = q;
        }
        p = end;
    }
    return best;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(((const web_message *)a)->key, ((const web_message *)b)->key);
}

const char *web_t(web_lang l, const char *key)
{
    web_message probe = {.key = key};
    const web_message *m = key ? bsearch(&probe, catalog, NCAT, sizeof *catalog, cmp) : NULL;
    if (!m)
        return key ? key : "";
    return m->text[(int)l >= 0 && l < WEB_LANG__COUNT ? l : WEB_LANG_EN];
}

const char *web_tk(web_lang l, const char *prefix, const char *name)
{
    char key[96];
    snprintf(key, sizeof key, "%s.%s", prefix, name ? name : "");
    web_message probe = {.key = key};
    const web_message *m = bsearch(&probe, catalog, NCAT, sizeof *catalog, cmp);
    /* an unknown enum value shows as it is stored rather than as a broken key */
    if (!m)
        return name ? name : "";
    return m->text[(int)l >= 0 && l < WEB_LANG__COUNT ? l : WEB_LANG_EN];
}

void web_fmt_date(web_lang l, pl_date d, char out[WEB_DATE_MAX])
{
    int y, m, day;
    pl_date_to_ymd(d, &y, &m, &day);
    char mk[16];
    snprintf(mk, sizeof mk, "month.%d", m);
    switch (l) {
    case WEB_LANG_ES:
        snprintf(out, WEB_DATE_MAX, "%02d/%02d/%04d", day, m, y);
        break;
    case WEB_LANG_ZH:
        snprintf(out, WEB_DATE_MAX, "%04d年%d月%d日", y, m, day);
        break;
    default:
        snprintf(out, WEB_DATE_MAX, "%d %s %04d", day, web_t(WEB_LANG_EN, mk), y);
        break;
    }
}

void web_fmt_num(web_lang l, double v, int decimals, char out[WEB_NUM_MAX])
{
    if (!isfinite(v)) {
        snprintf(out, WEB_NUM_MAX, "–");
        return;
    }
    snprintf(out, WEB_NUM_MAX, "%.*f", decimals, v);
    if (l == WEB_LANG_ES)
        for (char *c = out; *c; c++)
            if (*c == '.')
                *c = ',';
}
