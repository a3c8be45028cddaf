#!/usr/bin/env Rscript
# make_expected.R - R's values for the outcome report of a fixed demo study, for
# tests/unit/test_eval.c (the end-to-end case).
#
# Run from the source root with a built peerlink:
#   Rscript tests/eval/make_expected.R build-asan/src/cli/peerlink
# Needs R with lme4, lmerTest and sandwich (Debian: r-base-core r-cran-lme4
# r-cran-lmertest r-cran-sandwich). The test command never runs R: the file
# this writes, tests/data/eval/expected.tsv, is committed.
#
# It builds the demo database the test builds (peerlink demo --seed 7
# --participants 800 --no-accounts: study 1, 16 communities in 6 districts,
# 12 intervention and 4 control), writes its research export (peerlink export
# research), and computes from the export's wide.csv and long.csv - the
# values exactly as peerlink's wave rule picked them, written with enough
# digits to read back as the same doubles - what the report must say:
#   by wave and arm      n, mean, SD, t.test(x)$conf.int, median, quartiles
#   change per arm       t.test(last, base, paired = TRUE), wilcox.test(..)
#   HbA1c subgroup       the same among baseline >= 8
#   baseline ICC         lmer(base ~ 1 + (1 | community))
#   arm comparison       lmer(change ~ arm + baseline + (1 | community))
#   difference in diff.  lmer(value ~ time * arm + (1 | community)), time = month / 12
#   dose-response        lm(change ~ contacts) and lm(change ~ sessions) in the
#                        intervention arm with sandwich::vcovCL(type = "HC1"),
#                        t on G - 1 df
#   implementation       lmer(change ~ rating + baseline + (1 | community)) in
#                        the intervention arm's rated communities
#   HbA1c goals          chisq.test, or fisher.test when an expected count < 5
#   flow                 enrolled, withdrawn, lost, assessed per wave, analysed
# Mixed models use lmerTest's summary() at the REML optimum found from the
# closed-form REML score (below; docs/STATISTICS.md, "Precision against lme4").
#
# Each row of expected.tsv is: path, class, value. The path selects a number
# in the report's JSON: object keys joined by ".", and an array element by
# [key=value,...] on its members, e.g.
#   outcomes[outcome=hba1c].change[group=intervention].t_test.estimate
# class est (relative 1e-6), p (relative 1e-4) or int (exact).
suppressPackageStartupMessages({
    library(lme4)
    library(lmerTest)
    library(sandwich)
})

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 1) stop("usage: Rscript tests/eval/make_expected.R PATH/TO/peerlink")
bin <- normalizePath(args[1])
out_dir <- "tests/data/eval"
if (!dir.exists(out_dir)) stop("run from the source root: ", out_dir, " is missing")

seed <- 7L
participants <- 800L
work <- tempfile("peerlink-eval-")
dir.create(work)
db <- file.path(work, "demo.db")
run <- function(...) {
    a <- c(...)
    status <- system2(bin, a, stdout = FALSE, stderr = FALSE)
    if (status != 0) stop("peerlink ", paste(a, collapse = " "), " failed")
}
run("demo", "--db", db, "--seed", seed, "--participants", participants, "--no-accounts")
run("export", "research", "--db", db, "--study", "1", "--dir", file.path(work, "export"))
wide <- read.csv(file.path(work, "export", "wide.csv"), stringsAsFactors = FALSE,
                 na.strings = "", colClasses = c(birth_year = "character"))
long <- read.csv(file.path(work, "export", "long.csv"), stringsAsFactors = FALSE,
                 na.strings = "")
unlink(work, recursive = TRUE)

rows <- list()
num <- function(x) {
    x <- unname(x)
    if (is.logical(x)) return(as.character(as.integer(x)))
    format(x, digits = 17)
}
add <- function(path, class, value)
    rows[[length(rows) + 1]] <<- data.frame(path = path, class = class, value = num(value))

# The REML optimum of a random-intercept model, found from its score in closed
# form: with lambda = theta^2, V = I + lambda Z Z', per community g of n_g rows
#   A = sum_g X_g'X_g - w_g (X_g'1)(1'X_g),  w_g = lambda / (1 + lambda n_g)
#   r2 = y'V^-1 y - beta' X'V^-1 y,          beta = A^-1 X'V^-1 y
#   dev(lambda) = (n - p) log r2 + sum_g log(1 + lambda n_g) + log|A| + const
#   d dev / d lambda = -(n - p) sum_g s_g (1'e_g)^2 / r2 + sum_g n_g / (1 + lambda n_g)
#                      - tr(A^-1 sum_g s_g (X_g'1)(1'X_g)),  s_g = 1 / (1 + lambda n_g)^2
# (e = y - X beta; beta minimises r2, so it does not move the derivative).
# lme4's optimiser stops ~1e-7 (relative) short of the optimum and, on a flat
# deviance (a small community variance), a numerical gradient cannot place it
# better than ~1e-6 (docs/STATISTICS.md): the root of this closed-form score
# can. The fit is then lmerTest's at that theta (summary(): SEs, Satterthwaite
# df); a score already positive at theta = 0 is lme4's boundary fit, theta = 0.
reml_score <- function(X, y, cl) {
    cl <- as.integer(factor(cl))
    n <- length(y); p <- ncol(X)
    ng <- tabulate(cl)
    Xs <- rowsum(X, cl); ys <- as.vector(rowsum(y, cl))
    XtX <- crossprod(X); Xty <- crossprod(X, y); yty <- sum(y * y)
    function(lambda) {
        w <- lambda / (1 + lambda * ng)
        A <- XtX - crossprod(Xs * sqrt(w))
        b <- Xty - crossprod(Xs, w * ys)
        beta <- solve(A, b)
        r2 <- yty - sum(w * ys^2) - sum(beta * b)
        es <- ys - as.vector(Xs %*% beta)
        s <- 1 / (1 + lambda * ng)^2
        -(n - p) * sum(s * es^2) / r2 + sum(ng / (1 + lambda * ng)) -
            sum(diag(solve(A, crossprod(Xs * sqrt(s)))))
    }
}
exact_optimizer <- function(X, y, cl) {
    score <- reml_score(X, y, cl)
    function(par, fn, lower, upper, control = list(), ...) {
        th <- 0
        if (score(0) < 0) {
            hi <- 1
            while (score(hi) < 0) hi <- hi * 4
            lam <- uniroot(score, c(0, hi), tol = 1e-300, maxiter = 10000)$root
            th <- sqrt(lam)
        }
        list(par = th, fval = fn(th), conv = 0, message = "root of the closed-form REML score")
    }
}
fit_lmm <- function(formula, data) {
    mf <- model.frame(lme4::subbars(formula), data)
    X <- model.matrix(lme4::nobars(formula), mf)
    y <- model.response(mf)
    suppressMessages(lmerTest::lmer(formula, data = data,
                                    control = lmerControl(optimizer = exact_optimizer(X, y, mf$community))))
}

arms <- c("intervention", "control")
months <- c(0, 6, 12)
outcomes <- c("hba1c", "sbp", "dbp", "ldl", "weight", "bmi", "dds", "phq9")
wide$arm <- factor(wide$arm, levels = c("control", "intervention"))

add_lmm <- function(prefix, fit, terms) {
    co <- coef(summary(fit))
    vc <- as.data.frame(VarCorr(fit))
    for (j in seq_along(terms)) {
        p <- sprintf("%s.coefficients[term=%s]", prefix, terms[j])
        add(paste0(p, ".estimate"), "est", co[j, 1])
        add(paste0(p, ".se"), "est", co[j, 2])
        add(paste0(p, ".df"), "est", co[j, 3])
        add(paste0(p, ".t"), "est", co[j, 4])
        add(paste0(p, ".p"), "p", co[j, 5])
        h <- qt(0.975, co[j, 3]) * co[j, 2]
        add(paste0(p, ".ci_low"), "est", co[j, 1] - h)
        add(paste0(p, ".ci_high"), "est", co[j, 1] + h)
    }
    add(paste0(prefix, ".var_community"), "est", vc$vcov[1])
    add(paste0(prefix, ".var_residual"), "est", vc$vcov[2])
    add(paste0(prefix, ".icc"), "est", vc$vcov[1] / (vc$vcov[1] + vc$vcov[2]))
    add(paste0(prefix, ".n"), "int", nobs(fit))
    add(paste0(prefix, ".clusters"), "int", ngrps(fit)[[1]])
}

add_change <- function(prefix, last, base) {
    ok <- !is.na(last) & !is.na(base)
    add(paste0(prefix, ".n"), "int", sum(ok))
    tt <- t.test(last, base, paired = TRUE)
    add(paste0(prefix, ".t_test.estimate"), "est", tt$estimate)
    add(paste0(prefix, ".t_test.se"), "est", tt$stderr)
    add(paste0(prefix, ".t_test.ci_low"), "est", tt$conf.int[1])
    add(paste0(prefix, ".t_test.ci_high"), "est", tt$conf.int[2])
    add(paste0(prefix, ".t_test.t"), "est", tt$statistic)
    add(paste0(prefix, ".t_test.df"), "est", tt$parameter)
    add(paste0(prefix, ".t_test.p"), "p", tt$p.value)
    w <- suppressWarnings(wilcox.test(last, base, paired = TRUE))
    add(paste0(prefix, ".wilcoxon.v"), "est", w$statistic)
    add(paste0(prefix, ".wilcoxon.p"), "p", w$p.value)
}

for (o in outcomes) {
    op <- sprintf("outcomes[outcome=%s]", o)
    base <- wide[[paste0(o, "_m0")]]
    last <- wide[[paste0(o, "_m12")]]
    for (a in arms) {
        inarm <- wide$arm == a
        for (m in months) {
            x <- wide[[sprintf("%s_m%d", o, m)]][inarm]
            x <- x[!is.na(x)]
            p <- sprintf("%s.by_wave[group=%s,month=%d]", op, a, m)
            add(paste0(p, ".n"), "int", length(x))
            add(paste0(p, ".mean"), "est", mean(x))
            add(paste0(p, ".sd"), "est", sd(x))
            ci <- t.test(x)$conf.int
            add(paste0(p, ".ci_low"), "est", ci[1])
            add(paste0(p, ".ci_high"), "est", ci[2])
            add(paste0(p, ".median"), "est", median(x))
            add(paste0(p, ".q1"), "est", quantile(x, 0.25, type = 7))
            add(paste0(p, ".q3"), "est", quantile(x, 0.75, type = 7))
        }
        add_change(sprintf("%s.change[group=%s]", op, a), last[inarm], base[inarm])
        if (o == "hba1c") {
            sub <- inarm & !is.na(base) & base >= 8
            add_change(sprintf("%s.subgroup.change[group=%s]", op, a), last[sub], base[sub])
        }
    }

    # baseline ICC
    d0 <- data.frame(y = base, community = factor(wide$community))[!is.na(base), ]
    fit <- fit_lmm(y ~ 1 + (1 | community), d0)
    add_lmm(paste0(op, ".baseline_icc"), fit, "(Intercept)")

    # the arm comparison: change adjusted for baseline
    dc <- data.frame(change = last - base, arm = wide$arm, baseline = base,
                     community = factor(wide$community), contacts = wide$contacts,
                     sessions = wide$sessions, rating = wide$impl_rating)
    dc <- dc[!is.na(dc$change), ]
    fit <- fit_lmm(change ~ arm + baseline + (1 | community), dc)
    add_lmm(paste0(op, ".arm_comparison"), fit, c("(Intercept)", "armintervention", "baseline"))

    # difference in differences, all waves
    dl <- long[long$outcome == o, ]
    dl$time <- dl$month / 12
    dl$arm <- factor(dl$arm, levels = c("control", "intervention"))
    dl$community <- factor(dl$community)
    fit <- fit_lmm(value ~ time * arm + (1 | community), dl)
    add_lmm(paste0(op, ".difference_in_differences"), fit,
            c("(Intercept)", "time", "armintervention", "time:armintervention"))

    # dose-response in the intervention arm, cluster-robust: contacts and sessions attended
    di <- dc[dc$arm == "intervention", ]
    for (dose in c("contacts", "sessions")) {
        section <- if (dose == "contacts") "dose_response" else "dose_response_sessions"
        m <- lm(as.formula(paste("change ~", dose)), data = di)
        V <- vcovCL(m, cluster = droplevels(di$community), type = "HC1") # G: communities present
        G <- length(unique(di$community))
        co <- coef(m)
        se <- sqrt(diag(V))
        for (j in seq_along(co)) {
            p <- sprintf("%s.%s.coefficients[term=%s]", op, section, c("(Intercept)", dose)[j])
            tv <- co[j] / se[j]
            add(paste0(p, ".estimate"), "est", co[j])
            add(paste0(p, ".se"), "est", se[j])
            add(paste0(p, ".df"), "est", G - 1)
            add(paste0(p, ".t"), "est", tv)
            add(paste0(p, ".p"), "p", 2 * pt(-abs(tv), G - 1))
        }
        add(sprintf("%s.%s.n", op, section), "int", nrow(di))
        add(sprintf("%s.%s.clusters", op, section), "int", G)
    }

    # the implementation association: the community's mean rating as a predictor
    dr <- di[!is.na(di$rating), ]
    fit <- fit_lmm(change ~ rating + baseline + (1 | community), dr)
    add_lmm(paste0(op, ".implementation"), fit, c("(Intercept)", "rating", "baseline"))

    if (o == "hba1c") {
        goals <- list(lt7 = function(v) v < 7, lt8 = function(v) v < 8, gt9 = function(v) v > 9)
        for (g in names(goals))
            for (mo in months) {
                v <- wide[[sprintf("hba1c_m%d", mo)]]
                has <- !is.na(v)
                met <- c(sum(goals[[g]](v[has & wide$arm == "intervention"])),
                         sum(goals[[g]](v[has & wide$arm == "control"])))
                n <- c(sum(has & wide$arm == "intervention"), sum(has & wide$arm == "control"))
                tab <- matrix(c(met, n - met), nrow = 2, byrow = TRUE)
                ct <- suppressWarnings(chisq.test(tab))
                p <- sprintf("%s.goals[goal=%s,month=%d]", op, g, mo)
                add(sprintf("%s.groups[group=intervention].met", p), "int", met[1])
                add(sprintf("%s.groups[group=control].met", p), "int", met[2])
                if (any(ct$expected < 5)) {
                    add(paste0(p, ".p"), "p", fisher.test(tab)$p.value)
                } else {
                    add(paste0(p, ".statistic"), "est", ct$statistic)
                    add(paste0(p, ".p"), "p", ct$p.value)
                }
            }
    }
}

# flow
for (a in arms) {
    inarm <- wide$arm == a
    p <- sprintf("flow.groups[group=%s]", a)
    add(paste0(p, ".enrolled"), "int", sum(inarm))
    add(paste0(p, ".withdrawn"), "int", sum(inarm & wide$status == "withdrawn"))
    add(paste0(p, ".lost"), "int", sum(inarm & wide$status == "lost"))
    for (mo in months) {
        cols <- sprintf("%s_m%d", outcomes, mo)
        assessed <- rowSums(!is.na(wide[inarm, cols, drop = FALSE])) > 0
        add(sprintf("%s.waves[month=%d].assessed", p, mo), "int", sum(assessed))
    }
    add(paste0(p, ".analysed_hba1c"), "int",
        sum(inarm & !is.na(wide$hba1c_m0) & !is.na(wide$hba1c_m12)))
}
add("participants", "int", nrow(wide))

path <- file.path(out_dir, "expected.tsv")
con <- file(path, "w")
writeLines(sprintf("# R's values for the report of study 1 of peerlink demo --seed %d --participants %d --no-accounts",
                   seed, participants), con)
writeLines(sprintf("# generated by tests/eval/make_expected.R with %s, lme4 %s, lmerTest %s, sandwich %s; do not edit",
                   R.version.string, packageVersion("lme4"), packageVersion("lmerTest"),
                   packageVersion("sandwich")), con)
write.table(do.call(rbind, rows), con, sep = "\t", quote = FALSE, row.names = FALSE)
close(con)
cat("wrote", path, "with", length(rows), "values\n")
