package oidc

// The message catalogues of the pages, one per language, under the same
// keys. Messages are fmt formats (%s, %d; %[n]s where a language needs
// another order). The *.intro messages are HTML (rendered through
// translator.html, arguments escaped); all others are plain text, which
// the templates escape. The English text of a message the handlers pass
// (errors, titles) is also how it is found again (translator.localize),
// so English messages must be unique: TestCataloguesComplete checks that,
// and that both catalogues have the same keys and format verbs.

// catalogues by language.
var catalogues = map[pageLang]map[string]string{langEN: catalogueEN, langZH: catalogueZH}

var catalogueEN = map[string]string{
	"lang.switch": "Language",

	"login.title":    "Log in with netid",
	"login.intro":    "Log in to continue to <strong>%s</strong>.",
	"login.username": "Internet number or phone number",
	"login.password": "Password",
	"login.submit":   "Log in",
	"login.notice":   "%s will learn that you were verified, a pseudonymous identifier that is the same only on its own sites, and how you logged in. It learns nothing else unless you agree on the next page.",

	"login.bad_credentials": "The internet number, phone number or password is not right.",
	"login.throttled":       "Too many attempts. Try again in %d seconds.",
	"login.pending":         "Your account is waiting for your guardian's approval.",
	"login.busy":            "The service is busy. Try again in a moment.",

	"consent.title":            "Share information with %s",
	"consent.intro":            "<strong>%s</strong> asks for the information below. Choose what to share; anything you leave unticked stays with netid.",
	"consent.legend":           "Information %s asks for, and why",
	"consent.purpose":          "Purpose stated by %s: %s",
	"consent.nothing":          "%s asks for nothing beyond knowing that you were verified.",
	"consent.plaintext.legend": "Identity data in plain text",
	"consent.plaintext":        "I separately agree that the identity data I ticked above (such as my name, date of birth or document number) is shared in plain text.",
	"consent.onward.legend":    "Sharing with others",
	"consent.onward":           "I separately agree that %s shares this information with third parties. Without this, nothing but the fact that I was verified is shared.",
	"consent.remember":         "Remember my choice for %s (you can withdraw it at any time)",
	"consent.allow":            "Continue",
	"consent.deny":             "Cancel and share nothing",

	"claim.internet_number": "Your internet number (the same at every site that receives it)",
	"claim.name":            "Your full name",
	"claim.birthdate":       "Your date of birth",
	"claim.gender":          "Your sex as on your identity document",
	"claim.nationality":     "Your nationality",
	"claim.document_number": "Your identity document number",
	"claim.age_over_14":     "Whether you are 14 or older (yes or no, not your date of birth)",
	"claim.age_over_16":     "Whether you are 16 or older (yes or no, not your date of birth)",
	"claim.age_over_18":     "Whether you are 18 or older (yes or no, not your date of birth)",
	"claim.age_over_60":     "Whether you are 60 or older (yes or no, not your date of birth)",

	"logout.action":     "Log out",
	"logout.done.title": "Logged out",
	"logout.done":       "You are logged out of netid.",
	"logout.rp_asks":    "%s asks you to log out of netid.",
	"logout.confirm":    "Log out of netid?",

	"error.title":           "Error",
	"error.title.400":       "Bad Request",
	"error.title.403":       "Forbidden",
	"error.title.404":       "Not Found",
	"error.title.429":       "Too Many Requests",
	"error.title.500":       "Internal Server Error",
	"error.title.503":       "Service Unavailable",
	"error.reference":       "Reference: %s",
	"error.link_invalid":    "This sign-in link is not valid. Go back to the site you came from and start again.",
	"error.expired":         "This sign-in request has expired or was finished already. Go back to the site you came from and start again.",
	"error.other_browser":   "This sign-in was started in another browser. Go back to the site you came from and start again here.",
	"error.rp_inactive":     "The site you came from can no longer use netid.",
	"error.form_unreadable": "The form could not be read.",
	"error.form_expired":    "This form has expired. Go back to the site you came from and start again.",
	"error.finished":        "This sign-in request was finished already. Go back to the site you came from.",
	"error.logged_out":      "You are not logged in any more. Go back to the site you came from and start again.",
	"error.try_again":       "Something went wrong on our side. Please try again.",
	"error.internal":        "Something went wrong on our side. Please try again; if it keeps happening, quote the reference below to the operator.",
	"error.logout_link":     "This logout link is not valid.",
	"error.logout_expired":  "This form has expired. Log out again from the site you came from.",
}

var catalogueZH = map[string]string{
	"lang.switch": "语言",

	"login.title":    "使用 netid 登录",
	"login.intro":    "登录后继续访问 <strong>%s</strong>。",
	"login.username": "网号或手机号",
	"login.password": "密码",
	"login.submit":   "登录",
	"login.notice":   "%s 将得知：您已通过验证、一个仅在其自身网站上保持不变的化名标识符，以及您的登录方式。除非您在下一页同意，它不会得知其他任何信息。",

	"login.bad_credentials": "网号、手机号或密码不正确。",
	"login.throttled":       "尝试次数过多，请在 %d 秒后重试。",
	"login.pending":         "您的账户正在等待监护人批准。",
	"login.busy":            "服务繁忙，请稍后重试。",

	"consent.title":            "与 %s 共享信息",
	"consent.intro":            "<strong>%s</strong> 请求获取以下信息。请选择要共享的内容；未勾选的信息将留在 netid，不会提供。",
	"consent.legend":           "%s 请求的信息及其用途",
	"consent.purpose":          "%s 声明的用途：%s",
	"consent.nothing":          "除知道您已通过验证外，%s 不请求任何其他信息。",
	"consent.plaintext.legend": "明文身份数据",
	"consent.plaintext":        "我单独同意以明文形式共享我在上方勾选的身份数据（如姓名、出生日期或证件号码）。",
	"consent.onward.legend":    "与他人共享",
	"consent.onward":           "我单独同意 %s 将这些信息提供给第三方。未经此项同意，除我已通过验证这一事实外，不共享任何信息。",
	"consent.remember":         "记住我对 %s 的选择（您可以随时撤回）",
	"consent.allow":            "继续",
	"consent.deny":             "取消，不共享任何信息",

	"claim.internet_number": "您的网号（在每个获得它的网站上都相同）",
	"claim.name":            "您的姓名",
	"claim.birthdate":       "您的出生日期",
	"claim.gender":          "您身份证件上的性别",
	"claim.nationality":     "您的国籍",
	"claim.document_number": "您的身份证件号码",
	"claim.age_over_14":     "您是否已满 14 周岁（仅“是”或“否”，不含出生日期）",
	"claim.age_over_16":     "您是否已满 16 周岁（仅“是”或“否”，不含出生日期）",
	"claim.age_over_18":     "您是否已满 18 周岁（仅“是”或“否”，不含出生日期）",
	"claim.age_over_60":     "您是否已满 60 周岁（仅“是”或“否”，不含出生日期）",

	"logout.action":     "退出登录",
	"logout.done.title": "已退出登录",
	"logout.done":       "您已退出 netid。",
	"logout.rp_asks":    "%s 请求您退出 netid。",
	"logout.confirm":    "要退出 netid 吗？",

	"error.title":           "出错了",
	"error.title.400":       "请求无效",
	"error.title.403":       "禁止访问",
	"error.title.404":       "未找到",
	"error.title.429":       "请求过多",
	"error.title.500":       "服务器内部错误",
	"error.title.503":       "服务暂不可用",
	"error.reference":       "参考编号：%s",
	"error.link_invalid":    "此登录链接无效。请返回您来自的网站，重新开始。",
	"error.expired":         "此登录请求已过期或已完成。请返回您来自的网站，重新开始。",
	"error.other_browser":   "此登录是在另一个浏览器中开始的。请返回您来自的网站，在此浏览器中重新开始。",
	"error.rp_inactive":     "您来自的网站已不能再使用 netid。",
	"error.form_unreadable": "无法读取表单。",
	"error.form_expired":    "此表单已过期。请返回您来自的网站，重新开始。",
	"error.finished":        "此登录请求已完成。请返回您来自的网站。",
	"error.logged_out":      "您已不再处于登录状态。请返回您来自的网站，重新开始。",
	"error.try_again":       "我们这边出了问题，请重试。",
	"error.internal":        "我们这边出了问题，请重试；如果问题持续出现，请将下方的参考编号告知运营方。",
	"error.logout_link":     "此退出登录链接无效。",
	"error.logout_expired":  "此表单已过期。请从您来自的网站再次退出登录。",
}
