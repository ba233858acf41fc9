// Adds the reader's own time to each <time data-local-time> whose text is in UTC:
// "1 March 2027, 23:59 UTC (your time: 2 March 2027, 00:59 CET)". Without JavaScript,
// or where the browser's time zone is UTC, the UTC text stands alone.
(function () {
  "use strict";
  // English as the pages write it, "2 March 2027" (CLDR's world English), not the US way.
  var lang = document.documentElement.lang || undefined;
  if (lang === "en") {
    lang = "en-001";
  }
  var format;
  try {
    // Fields one by one: dateStyle and timeStyle cannot be combined with timeZoneName.
    format = new Intl.DateTimeFormat(lang, {
      year: "numeric",
      month: "long",
      day: "numeric",
      hour: "numeric",
      minute: "2-digit",
      timeZoneName: "short",
    });
  } catch (error) {
    return; // a browser without Intl options: keep the UTC text
  }
  document.querySelectorAll("time[data-local-time]").forEach(function (element) {
    var when = new Date(element.getAttribute("datetime"));
    if (isNaN(when.getTime()) || when.getTimezoneOffset() === 0) {
      return;
    }
    var label = element.getAttribute("data-local-label") || "{time}";
    var local = document.createElement("span");
    local.className = "local-time";
    local.textContent = " (" + label.replace("{time}", format.format(when)) + ")";
    element.after(local);
  });
})();
