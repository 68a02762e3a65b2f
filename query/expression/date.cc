// Date operators. Dates are BSON datetimes (signed milliseconds since the Unix epoch, UTC);
// Timestamps and ObjectIds are accepted wherever a date is read. Calendar fields are computed
// in the requested time zone: an Olson name (absl::LoadTimeZone reads /usr/share/zoneinfo), a
// "+hh:mm" / "+hhmm" / "+hh" offset, or UTC by default.
#include <cmath>
#include <cstdio>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"
#include "base/error_codes.h"
#include "base/status_macros.h"
#include "query/expression/internal.h"

namespace strata::query::expression::internal {

bool ToDateMillis(const Value& v, int64_t* out) {
  switch (v.type()) {
    case BSON_TYPE_DATE_TIME:
      *out = v.date();
      return true;
    case BSON_TYPE_TIMESTAMP:
      *out = static_cast<int64_t>(v.raw().value.v_timestamp.timestamp) * 1000;
      return true;
    case BSON_TYPE_OID:
      *out = static_cast<int64_t>(bson_oid_get_time_t(&v.oid())) * 1000;
      return true;
    default:
      return false;
  }
}

namespace {

int64_t FloorDiv(int64_t a, int64_t b) {
  int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

struct Parts {
  absl::CivilSecond cs;
  int millis = 0;
  int offset_seconds = 0;
};

Parts Breakdown(int64_t millis, const absl::TimeZone& tz) {
  Parts p;
  const int64_t secs = FloorDiv(millis, 1000);
  p.millis = static_cast<int>(millis - secs * 1000);
  const absl::TimeZone::CivilInfo ci = tz.At(absl::FromUnixSeconds(secs));
  p.cs = ci.cs;
  p.offset_seconds = ci.offset;
  return p;
}

int64_t ToMillis(const absl::CivilSecond& cs, int millis, const absl::TimeZone& tz) {
  return absl::ToUnixSeconds(tz.At(cs).pre) * 1000 + millis;
}

// Sunday = 1 … Saturday = 7.
int DayOfWeek(const absl::CivilSecond& cs) {
  switch (absl::GetWeekday(cs)) {
    case absl::Weekday::sunday:
      return 1;
    case absl::Weekday::monday:
      return 2;
    case absl::Weekday::tuesday:
      return 3;
    case absl::Weekday::wednesday:
      return 4;
    case absl::Weekday::thursday:
      return 5;
    case absl::Weekday::friday:
      return 6;
    case absl::Weekday::saturday:
      return 7;
  }
  return 1;
}

// Monday = 1 … Sunday = 7.
int IsoDayOfWeek(const absl::CivilSecond& cs) { return (DayOfWeek(cs) + 5) % 7 + 1; }

int IsoWeeksInYear(int64_t year) {
  const absl::CivilDay jan1(year, 1, 1);
  const int wd = IsoDayOfWeek(absl::CivilSecond(jan1));
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return (wd == 4 || (leap && wd == 3)) ? 53 : 52;
}

void IsoWeek(const absl::CivilSecond& cs, int64_t* iso_year, int* week) {
  const int yday = absl::GetYearDay(cs);
  const int wd = IsoDayOfWeek(cs);
  int w = (yday - wd + 10) / 7;
  int64_t y = cs.year();
  if (w < 1) {
    --y;
    w = IsoWeeksInYear(y);
  } else if (w > IsoWeeksInYear(y)) {
    ++y;
    w = 1;
  }
  *iso_year = y;
  *week = w;
}

int SundayWeek(const absl::CivilSecond& cs) {
  return (absl::GetYearDay(cs) - 1 + 7 - (DayOfWeek(cs) - 1)) / 7;
}

// Time zone from a $timezone value (caller handles null).
absl::StatusOr<absl::TimeZone> ParseTimeZone(const Value& v) {
  if (!v.is_string()) {
    return Error(40517, absl::StrCat("timezone must evaluate to a string, found ", TypeName(v)));
  }
  const std::string name(v.str());
  if (!name.empty() && (name[0] == '+' || name[0] == '-')) {
    int hh = -1, mm = 0;
    const std::string digits = name.substr(1);
    auto two = [](const std::string& s, size_t at, int* out) {
      if (at + 2 > s.size() || !isdigit(s[at]) || !isdigit(s[at + 1])) return false;
      *out = (s[at] - '0') * 10 + (s[at + 1] - '0');
      return true;
    };
    bool ok = false;
    if (digits.size() == 2) {
      ok = two(digits, 0, &hh);
    } else if (digits.size() == 4) {
      ok = two(digits, 0, &hh) && two(digits, 2, &mm);
    } else if (digits.size() == 5 && digits[2] == ':') {
      ok = two(digits, 0, &hh) && two(digits, 3, &mm);
    }
    if (ok) {
      const int seconds = (hh * 3600 + mm * 60) * (name[0] == '-' ? -1 : 1);
      return absl::FixedTimeZone(seconds);
    }
  } else if (name == "UTC" || name == "GMT" || name == "Z") {
    return absl::UTCTimeZone();
  } else {
    absl::TimeZone tz;
    if (!name.empty() && absl::LoadTimeZone(name, &tz)) return tz;
  }
  return Error(40485, absl::StrCat("unrecognized time zone identifier: \"", name, "\""));
}

// Evaluates an optional timezone argument. Sets *is_null when it evaluated to null/missing.
absl::StatusOr<absl::TimeZone> EvalTimeZone(const ExpressionPtr& e, EvalContext& ctx,
                                            bool* is_null) {
  *is_null = false;
  if (e == nullptr) return absl::UTCTimeZone();
  ASSIGN_OR_RETURN(Value v, e->Evaluate(ctx));
  if (v.nullish()) {
    *is_null = true;
    return absl::UTCTimeZone();
  }
  return ParseTimeZone(v);
}

std::string FormatOffset(int seconds, bool colon) {
  const char sign = seconds < 0 ? '-' : '+';
  const int a = std::abs(seconds);
  return colon ? absl::StrFormat("%c%02d:%02d", sign, a / 3600, (a / 60) % 60)
               : absl::StrFormat("%c%02d%02d", sign, a / 3600, (a / 60) % 60);
}

const char* const kMonthNames[] = {"January",   "February", "March",    "April",
                                   "May",       "June",     "July",     "August",
                                   "September", "October",  "November", "December"};

absl::Status ValidateFormat(absl::string_view format) {
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%') continue;
    if (i + 1 >= format.size()) return Error(18535, "Unmatched '%' at end of format string");
    const char c = format[++i];
    if (std::string("dGHjLmMSwuUVYzZbB%").find(c) == std::string::npos) {
      return Error(18536, absl::StrCat("Invalid format character '%", absl::string_view(&c, 1),
                                       "' in format string"));
    }
  }
  return absl::OkStatus();
}

std::string FormatDate(absl::string_view format, int64_t millis, const absl::TimeZone& tz) {
  const Parts p = Breakdown(millis, tz);
  std::string out;
  for (size_t i = 0; i < format.size(); ++i) {
    if (format[i] != '%' || i + 1 >= format.size()) {
      out.push_back(format[i]);
      continue;
    }
    const char c = format[++i];
    int64_t iso_year;
    int iso_week;
    switch (c) {
      case 'd':
        absl::StrAppend(&out, absl::StrFormat("%02d", p.cs.day()));
        break;
      case 'G':
        IsoWeek(p.cs, &iso_year, &iso_week);
        absl::StrAppend(&out, absl::StrFormat("%04d", iso_year));
        break;
      case 'H':
        absl::StrAppend(&out, absl::StrFormat("%02d", p.cs.hour()));
        break;
      case 'j':
        absl::StrAppend(&out, absl::StrFormat("%03d", absl::GetYearDay(p.cs)));
        break;
      case 'L':
        absl::StrAppend(&out, absl::StrFormat("%03d", p.millis));
        break;
      case 'm':
        absl::StrAppend(&out, absl::StrFormat("%02d", p.cs.month()));
        break;
      case 'M':
        absl::StrAppend(&out, absl::StrFormat("%02d", p.cs.minute()));
        break;
      case 'S':
        absl::StrAppend(&out, absl::StrFormat("%02d", p.cs.second()));
        break;
      case 'w':
        absl::StrAppend(&out, DayOfWeek(p.cs));
        break;
      case 'u':
        absl::StrAppend(&out, IsoDayOfWeek(p.cs));
        break;
      case 'U':
        absl::StrAppend(&out, absl::StrFormat("%02d", SundayWeek(p.cs)));
        break;
      case 'V':
        IsoWeek(p.cs, &iso_year, &iso_week);
        absl::StrAppend(&out, absl::StrFormat("%02d", iso_week));
        break;
      case 'Y':
        absl::StrAppend(&out, absl::StrFormat("%04d", p.cs.year()));
        break;
      case 'z':
        absl::StrAppend(&out, FormatOffset(p.offset_seconds, false));
        break;
      case 'Z':
        absl::StrAppend(&out, p.offset_seconds / 60);
        break;
      case 'b':
        absl::StrAppend(&out, absl::string_view(kMonthNames[p.cs.month() - 1]).substr(0, 3));
        break;
      case 'B':
        absl::StrAppend(&out, kMonthNames[p.cs.month() - 1]);
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

absl::Status BadDate(const Value& v) {
  return Error(16006, absl::StrCat("can't convert from BSON type ", TypeName(v), " to Date"));
}

// ---- date part operators ($year, …) ----

enum class Part {
  kYear,
  kMonth,
  kDayOfMonth,
  kHour,
  kMinute,
  kSecond,
  kMillisecond,
  kDayOfWeek,
  kDayOfYear,
  kWeek,
  kIsoWeek,
  kIsoWeekYear,
  kIsoDayOfWeek
};

int64_t ExtractPart(Part part, const Parts& p) {
  int64_t iso_year;
  int iso_week;
  switch (part) {
    case Part::kYear:
      return p.cs.year();
    case Part::kMonth:
      return p.cs.month();
    case Part::kDayOfMonth:
      return p.cs.day();
    case Part::kHour:
      return p.cs.hour();
    case Part::kMinute:
      return p.cs.minute();
    case Part::kSecond:
      return p.cs.second();
    case Part::kMillisecond:
      return p.millis;
    case Part::kDayOfWeek:
      return DayOfWeek(p.cs);
    case Part::kDayOfYear:
      return absl::GetYearDay(p.cs);
    case Part::kWeek:
      return SundayWeek(p.cs);
    case Part::kIsoWeek:
      IsoWeek(p.cs, &iso_year, &iso_week);
      return iso_week;
    case Part::kIsoWeekYear:
      IsoWeek(p.cs, &iso_year, &iso_week);
      return iso_year;
    case Part::kIsoDayOfWeek:
      return IsoDayOfWeek(p.cs);
  }
  return 0;
}

absl::StatusOr<ExpressionPtr> ParseDatePart(const bson_iter_t& operand, ParseContext& ctx,
                                            const std::string& op, Part part) {
  std::vector<ExpressionPtr> args(2);  // date, timezone
  auto fields = ObjectFields(operand);
  if (fields && !fields->empty() && !fields->front().first.empty() &&
      fields->front().first[0] != '$') {
    for (auto& [name, it] : *fields) {
      int slot = name == "date" ? 0 : name == "timezone" ? 1 : -1;
      if (slot < 0) {
        return Error(40535, absl::StrCat("unrecognized option to ", op, ": \"", name, "\""));
      }
      ASSIGN_OR_RETURN(args[slot], ParseExpression(it, ctx));
    }
    if (!args[0]) {
      return Error(40539, absl::StrCat("missing 'date' argument to ", op,
                                       ", provided: ", Value::FromIter(operand).DebugString()));
    }
  } else {
    ASSIGN_OR_RETURN(auto list, ParseArguments(operand, ctx));
    if (list.size() != 1) {
      return Error(40536, absl::StrCat(op,
                                       " accepts exactly one argument if given an array, but "
                                       "was given ",
                                       list.size()));
    }
    args[0] = std::move(list[0]);
  }
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [part](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value date, args[0]->Evaluate(ctx));
        bool tz_null;
        ASSIGN_OR_RETURN(absl::TimeZone tz, EvalTimeZone(args[1], ctx, &tz_null));
        if (date.nullish() || tz_null) return Value::Null();
        int64_t ms;
        if (!ToDateMillis(date, &ms)) return BadDate(date);
        const int64_t r = ExtractPart(part, Breakdown(ms, tz));
        if (part == Part::kIsoWeekYear) return Value::Int64(r);
        return Value::Int32(static_cast<int32_t>(r));
      }));
}

// Named arguments of an object operand into `slots` (by name order in `names`).
absl::Status ParseNamed(const bson_iter_t& operand, ParseContext& ctx,
                        const std::vector<std::string>& names, std::vector<ExpressionPtr>* slots,
                        int not_object_code, const std::string& not_object_msg, int unknown_code,
                        const std::string& unknown_prefix) {
  auto fields = ObjectFields(operand);
  if (!fields) return Error(not_object_code, not_object_msg);
  slots->resize(names.size());
  for (auto& [name, it] : *fields) {
    auto pos = std::find(names.begin(), names.end(), name);
    if (pos == names.end()) return Error(unknown_code, absl::StrCat(unknown_prefix, name));
    ASSIGN_OR_RETURN((*slots)[pos - names.begin()], ParseExpression(it, ctx));
  }
  return absl::OkStatus();
}

absl::StatusOr<ExpressionPtr> ParseDateToString(const bson_iter_t& operand, ParseContext& ctx) {
  std::vector<ExpressionPtr> args;  // date, format, timezone, onNull
  RETURN_IF_ERROR(ParseNamed(operand, ctx, {"date", "format", "timezone", "onNull"}, &args, 18629,
                             "$dateToString only supports an object as its argument", 18534,
                             "Unrecognized argument to $dateToString: "));
  if (!args[0]) return Error(18628, "Missing 'date' parameter to $dateToString");
  if (args[1] && args[1]->constant() && args[1]->constant()->is_string()) {
    RETURN_IF_ERROR(ValidateFormat(args[1]->constant()->str()));
  }
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value date, args[0]->Evaluate(ctx));
        std::string format = args[2] ? "%Y-%m-%dT%H:%M:%S.%L" : "%Y-%m-%dT%H:%M:%S.%LZ";
        if (args[1]) {
          ASSIGN_OR_RETURN(Value f, args[1]->Evaluate(ctx));
          if (f.nullish()) return Value::Null();
          if (!f.is_string()) {
            return Error(18533, absl::StrCat("$dateToString requires that 'format' be a string, "
                                             "found: ",
                                             TypeName(f), " with value ", f.DebugString()));
          }
          format = std::string(f.str());
          RETURN_IF_ERROR(ValidateFormat(format));
        }
        bool tz_null;
        ASSIGN_OR_RETURN(absl::TimeZone tz, EvalTimeZone(args[2], ctx, &tz_null));
        if (tz_null) return Value::Null();
        if (date.nullish()) {
          if (args[3]) return args[3]->Evaluate(ctx);
          return Value::Null();
        }
        int64_t ms;
        if (!ToDateMillis(date, &ms)) return BadDate(date);
        return Value::String(FormatDate(format, ms, tz));
      }));
}

// ---- parsing date strings ----

absl::Status ParseError(absl::string_view text, absl::string_view why) {
  return Error(241, absl::StrCat("Error parsing date string '", text, "'; ", why));
}

struct ParsedDate {
  int64_t year = 1970;
  int month = 1, day = 1, hour = 0, minute = 0, second = 0, millis = 0;
  int64_t yday = 0;  // %j
  int64_t iso_year = 0;
  int iso_week = 0, iso_dow = 0;
  bool has_offset = false;
  int offset_seconds = 0;
};

bool ReadDigits(absl::string_view s, size_t* i, size_t min, size_t max, int64_t* out) {
  size_t n = 0;
  int64_t v = 0;
  while (*i + n < s.size() && n < max && isdigit(static_cast<unsigned char>(s[*i + n]))) {
    v = v * 10 + (s[*i + n] - '0');
    ++n;
  }
  if (n < min) return false;
  *i += n;
  *out = v;
  return true;
}

// "Z", "+hh", "+hhmm", "+hh:mm", "-…", "UTC", "GMT".
bool ReadOffset(absl::string_view s, size_t* i, int* seconds) {
  if (*i < s.size() && s[*i] == 'Z') {
    ++*i;
    *seconds = 0;
    return true;
  }
  if (s.substr(*i, 3) == "UTC" || s.substr(*i, 3) == "GMT") {
    *i += 3;
    *seconds = 0;
    if (*i < s.size() && (s[*i] == '+' || s[*i] == '-')) return ReadOffset(s, i, seconds);
    return true;
  }
  if (*i >= s.size() || (s[*i] != '+' && s[*i] != '-')) return false;
  const int sign = s[*i] == '-' ? -1 : 1;
  ++*i;
  int64_t hh, mm = 0;
  if (!ReadDigits(s, i, 2, 2, &hh)) return false;
  if (*i < s.size() && s[*i] == ':') ++*i;
  ReadDigits(s, i, 2, 2, &mm);
  *seconds = sign * static_cast<int>(hh * 3600 + mm * 60);
  return true;
}

absl::StatusOr<ParsedDate> ParseIso(absl::string_view s) {
  ParsedDate d;
  size_t i = 0;
  int64_t v;
  if (!ReadDigits(s, &i, 4, 4, &d.year)) return ParseError(s, "expected a year");
  if (i >= s.size() || s[i] != '-') return ParseError(s, "expected '-' after the year");
  ++i;
  if (!ReadDigits(s, &i, 1, 2, &v)) return ParseError(s, "expected a month");
  d.month = static_cast<int>(v);
  if (i >= s.size() || s[i] != '-') return ParseError(s, "expected '-' after the month");
  ++i;
  if (!ReadDigits(s, &i, 1, 2, &v)) return ParseError(s, "expected a day");
  d.day = static_cast<int>(v);
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
    ++i;
    if (!ReadDigits(s, &i, 2, 2, &v)) return ParseError(s, "expected an hour");
    d.hour = static_cast<int>(v);
    if (i >= s.size() || s[i] != ':') return ParseError(s, "expected ':' after the hour");
    ++i;
    if (!ReadDigits(s, &i, 2, 2, &v)) return ParseError(s, "expected minutes");
    d.minute = static_cast<int>(v);
    if (i < s.size() && s[i] == ':') {
      ++i;
      if (!ReadDigits(s, &i, 2, 2, &v)) return ParseError(s, "expected seconds");
      d.second = static_cast<int>(v);
      if (i < s.size() && s[i] == '.') {
        ++i;
        size_t start = i;
        if (!ReadDigits(s, &i, 1, 9, &v)) return ParseError(s, "expected fractional seconds");
        size_t n = i - start;
        while (n > 3) {
          v /= 10;
          --n;
        }
        while (n < 3) {
          v *= 10;
          ++n;
        }
        d.millis = static_cast<int>(v);
      }
    }
  }
  if (i < s.size() && s[i] == ' ') ++i;
  if (i < s.size()) {
    if (!ReadOffset(s, &i, &d.offset_seconds)) return ParseError(s, "trailing data");
    d.has_offset = true;
  }
  if (i != s.size()) return ParseError(s, "trailing data");
  return d;
}

absl::StatusOr<ParsedDate> ParseWithFormat(absl::string_view s, absl::string_view format) {
  ParsedDate d;
  size_t i = 0;
  int64_t v;
  for (size_t f = 0; f < format.size(); ++f) {
    if (format[f] != '%') {
      if (i >= s.size() || s[i] != format[f]) return ParseError(s, "does not match the format");
      ++i;
      continue;
    }
    const char c = format[++f];
    bool ok = true;
    switch (c) {
      case 'Y':
        ok = ReadDigits(s, &i, 4, 4, &d.year);
        break;
      case 'G':
        ok = ReadDigits(s, &i, 4, 4, &d.iso_year);
        break;
      case 'm':
        ok = ReadDigits(s, &i, 1, 2, &v);
        d.month = static_cast<int>(v);
        break;
      case 'd':
        ok = ReadDigits(s, &i, 1, 2, &v);
        d.day = static_cast<int>(v);
        break;
      case 'H':
        ok = ReadDigits(s, &i, 1, 2, &v);
        d.hour = static_cast<int>(v);
        break;
      case 'M':
        ok = ReadDigits(s, &i, 1, 2, &v);
        d.minute = static_cast<int>(v);
        break;
      case 'S':
        ok = ReadDigits(s, &i, 1, 2, &v);
        d.second = static_cast<int>(v);
        break;
      case 'L':
        ok = ReadDigits(s, &i, 1, 3, &v);
        d.millis = static_cast<int>(v);
        break;
      case 'j':
        ok = ReadDigits(s, &i, 1, 3, &d.yday);
        break;
      case 'V':
        ok = ReadDigits(s, &i, 1, 2, &v);
        d.iso_week = static_cast<int>(v);
        break;
      case 'u':
        ok = ReadDigits(s, &i, 1, 1, &v);
        d.iso_dow = static_cast<int>(v);
        break;
      case 'z':
      case 'Z':
        ok = ReadOffset(s, &i, &d.offset_seconds);
        d.has_offset = true;
        break;
      case '%':
        ok = i < s.size() && s[i] == '%';
        ++i;
        break;
      default:
        return Error(18536, absl::StrCat("Invalid format character '%", absl::string_view(&c, 1),
                                         "' in format string"));
    }
    if (!ok) return ParseError(s, "does not match the format");
  }
  if (i != s.size()) return ParseError(s, "trailing data");
  return d;
}

}  // namespace

std::string FormatIsoDate(int64_t millis) {
  return FormatDate("%Y-%m-%dT%H:%M:%S.%LZ", millis, absl::UTCTimeZone());
}

absl::StatusOr<int64_t> ParseDateString(absl::string_view text, absl::string_view format,
                                        absl::string_view timezone_name, bool has_format) {
  ParsedDate d;
  if (has_format) {
    RETURN_IF_ERROR(ValidateFormat(format));
    ASSIGN_OR_RETURN(d, ParseWithFormat(text, format));
  } else {
    ASSIGN_OR_RETURN(d, ParseIso(text));
  }
  if (d.month < 1 || d.month > 12 || d.day < 1 || d.day > 31 || d.hour > 23 || d.minute > 59 ||
      d.second > 60) {
    return ParseError(text, "a field is out of range");
  }
  absl::CivilSecond cs(d.year, d.month, d.day, d.hour, d.minute, d.second);
  if (cs.day() != d.day || cs.month() != d.month) return ParseError(text, "invalid day of month");
  if (d.yday > 0) cs = absl::CivilSecond(absl::CivilDay(d.year, 1, 1) + (d.yday - 1));
  if (d.iso_year > 0 && d.iso_week > 0) {
    // Monday of ISO week 1 is the Monday on or before January 4th.
    const absl::CivilDay jan4(d.iso_year, 1, 4);
    const absl::CivilDay monday = jan4 - (IsoDayOfWeek(absl::CivilSecond(jan4)) - 1);
    const absl::CivilDay day = monday + (d.iso_week - 1) * 7 + (d.iso_dow > 0 ? d.iso_dow - 1 : 0);
    cs = absl::CivilSecond(day.year(), day.month(), day.day(), d.hour, d.minute, d.second);
  }
  absl::TimeZone tz = absl::UTCTimeZone();
  if (!timezone_name.empty()) {
    if (d.has_offset) {
      return Error(40554,
                   "you cannot pass in a date/time string with GMT offset together with a "
                   "timezone argument");
    }
    ASSIGN_OR_RETURN(tz, ParseTimeZone(Value::String(timezone_name)));
  }
  if (d.has_offset) tz = absl::FixedTimeZone(d.offset_seconds);
  return ToMillis(cs, d.millis, tz);
}

namespace {

absl::StatusOr<ExpressionPtr> ParseDateFromString(const bson_iter_t& operand, ParseContext& ctx) {
  std::vector<ExpressionPtr> args;  // dateString, format, timezone, onError, onNull
  RETURN_IF_ERROR(ParseNamed(
      operand, ctx, {"dateString", "format", "timezone", "onError", "onNull"}, &args, 40540,
      absl::StrCat("$dateFromString only supports an object as an "
                   "argument, found: ",
                   TypeName(Value::FromIter(operand))),
      40541, "Unrecognized argument to $dateFromString: "));
  if (!args[0]) return Error(40542, "Missing 'dateString' parameter to $dateFromString");
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value s, args[0]->Evaluate(ctx));
        std::string format;
        bool has_format = false;
        if (args[1]) {
          ASSIGN_OR_RETURN(Value f, args[1]->Evaluate(ctx));
          if (f.nullish()) return Value::Null();
          if (!f.is_string()) {
            return Error(40684, absl::StrCat("$dateFromString requires that 'format' be a "
                                             "string, found: ",
                                             TypeName(f), " with value ", f.DebugString()));
          }
          format = std::string(f.str());
          has_format = true;
        }
        std::string tz_name;
        if (args[2]) {
          ASSIGN_OR_RETURN(Value tz, args[2]->Evaluate(ctx));
          if (tz.nullish()) return Value::Null();
          RETURN_IF_ERROR(ParseTimeZone(tz).status());
          tz_name = std::string(tz.str());
        }
        if (s.nullish()) {
          if (args[4]) return args[4]->Evaluate(ctx);
          return Value::Null();
        }
        absl::StatusOr<int64_t> ms;
        if (!s.is_string()) {
          ms = Error(241, absl::StrCat("$dateFromString requires that 'dateString' be a string, "
                                       "found: ",
                                       TypeName(s), " with value ", s.DebugString()));
        } else {
          ms = ParseDateString(s.str(), format, tz_name, has_format);
        }
        if (!ms.ok()) {
          if (args[3] && static_cast<int>(ErrorCodeOf(ms.status())) == 241) {
            return args[3]->Evaluate(ctx);
          }
          return ms.status();
        }
        return Value::Date(*ms);
      }));
}

// ---- units ----

enum class Unit { kYear, kQuarter, kMonth, kWeek, kDay, kHour, kMinute, kSecond, kMillisecond };

absl::StatusOr<Unit> ParseUnit(const Value& v, absl::string_view op) {
  if (!v.is_string()) {
    return Error(5439013,
                 absl::StrCat(op, " requires 'unit' to be a string, but got ", TypeName(v)));
  }
  static const std::pair<const char*, Unit> kUnits[] = {
      {"year", Unit::kYear},     {"quarter", Unit::kQuarter}, {"month", Unit::kMonth},
      {"week", Unit::kWeek},     {"day", Unit::kDay},         {"hour", Unit::kHour},
      {"minute", Unit::kMinute}, {"second", Unit::kSecond},   {"millisecond", Unit::kMillisecond}};
  for (const auto& [name, unit] : kUnits) {
    if (v.str() == name) return unit;
  }
  return Error(5439014, absl::StrCat(op,
                                     " parameter 'unit' value cannot be recognized as a "
                                     "time unit: ",
                                     v.str()));
}

// Sunday = 1 … Saturday = 7 from a day name ("monday", "mon", case-insensitive).
absl::StatusOr<int> ParseStartOfWeek(const Value& v, absl::string_view op) {
  if (!v.is_string()) {
    return Error(5439015,
                 absl::StrCat(op, " requires 'startOfWeek' to be a string, but got ", TypeName(v)));
  }
  std::string s;
  for (char c : v.str())
    s.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  static const char* const kDays[] = {"sunday",   "monday", "tuesday", "wednesday",
                                      "thursday", "friday", "saturday"};
  for (int i = 0; i < 7; ++i) {
    if (s == kDays[i] || s == std::string(kDays[i]).substr(0, 3)) return i + 1;
  }
  return Error(5439016, absl::StrCat(op,
                                     " parameter 'startOfWeek' value cannot be recognized "
                                     "as a day of a week: ",
                                     v.str()));
}

absl::CivilSecond AddMonths(const absl::CivilSecond& cs, int64_t months) {
  const absl::CivilMonth m = absl::CivilMonth(cs) + months;
  const absl::CivilDay last = absl::CivilDay(m + 1) - 1;
  const int day = std::min<int>(cs.day(), last.day());
  return absl::CivilSecond(m.year(), m.month(), day, cs.hour(), cs.minute(), cs.second());
}

absl::StatusOr<ExpressionPtr> ParseDateAdd(const bson_iter_t& operand, ParseContext& ctx,
                                           bool subtract) {
  const std::string op = subtract ? "$dateSubtract" : "$dateAdd";
  std::vector<ExpressionPtr> args;  // startDate, unit, amount, timezone
  RETURN_IF_ERROR(ParseNamed(operand, ctx, {"startDate", "unit", "amount", "timezone"}, &args,
                             5166400, absl::StrCat(op, " expects an object as its argument"),
                             5166401, absl::StrCat("Unrecognized argument to ", op, ": ")));
  if (!args[0] || !args[1] || !args[2]) {
    return Error(5166402, absl::StrCat(op, " requires startDate, unit, and amount to be present"));
  }
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [op, subtract](const std::vector<ExpressionPtr>& args,
                     EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value start, args[0]->Evaluate(ctx));
        ASSIGN_OR_RETURN(Value unit_v, args[1]->Evaluate(ctx));
        ASSIGN_OR_RETURN(Value amount_v, args[2]->Evaluate(ctx));
        bool tz_null;
        ASSIGN_OR_RETURN(absl::TimeZone tz, EvalTimeZone(args[3], ctx, &tz_null));
        if (start.nullish() || unit_v.nullish() || amount_v.nullish() || tz_null) {
          return Value::Null();
        }
        int64_t ms;
        if (!ToDateMillis(start, &ms)) {
          return Error(5166403,
                       absl::StrCat(op, " requires startDate to be convertible to a date"));
        }
        ASSIGN_OR_RETURN(Unit unit, ParseUnit(unit_v, op));
        int64_t amount;
        if (!ToInt64Exact(amount_v, &amount)) {
          return Error(5166405, absl::StrCat(op, " expects integer amount of time units"));
        }
        if (subtract) amount = -amount;
        const Parts p = Breakdown(ms, tz);
        switch (unit) {
          case Unit::kYear:
            return Value::Date(ToMillis(AddMonths(p.cs, amount * 12), p.millis, tz));
          case Unit::kQuarter:
            return Value::Date(ToMillis(AddMonths(p.cs, amount * 3), p.millis, tz));
          case Unit::kMonth:
            return Value::Date(ToMillis(AddMonths(p.cs, amount), p.millis, tz));
          case Unit::kWeek:
            return Value::Date(ToMillis(p.cs + amount * 7 * 86400, p.millis, tz));
          case Unit::kDay: {
            const absl::CivilDay day = absl::CivilDay(p.cs) + amount;
            const absl::CivilSecond cs(day.year(), day.month(), day.day(), p.cs.hour(),
                                       p.cs.minute(), p.cs.second());
            return Value::Date(ToMillis(cs, p.millis, tz));
          }
          case Unit::kHour:
            return Value::Date(ms + amount * 3600000);
          case Unit::kMinute:
            return Value::Date(ms + amount * 60000);
          case Unit::kSecond:
            return Value::Date(ms + amount * 1000);
          case Unit::kMillisecond:
            return Value::Date(ms + amount);
        }
        return Value();
      }));
}

// Days from `day` back to the most recent `start_of_week` (1 = Sunday).
int64_t DaysIntoWeek(const absl::CivilDay& day, int start_of_week) {
  return (DayOfWeek(absl::CivilSecond(day)) - start_of_week + 7) % 7;
}

absl::StatusOr<ExpressionPtr> ParseDateDiff(const bson_iter_t& operand, ParseContext& ctx) {
  std::vector<ExpressionPtr> args;  // startDate, endDate, unit, timezone, startOfWeek
  RETURN_IF_ERROR(ParseNamed(operand, ctx,
                             {"startDate", "endDate", "unit", "timezone", "startOfWeek"}, &args,
                             5166301, "$dateDiff only supports an object as its argument", 5166302,
                             "Unrecognized argument to $dateDiff: "));
  if (!args[0]) return Error(5166303, "Missing 'startDate' parameter to $dateDiff");
  if (!args[1]) return Error(5166304, "Missing 'endDate' parameter to $dateDiff");
  if (!args[2]) return Error(5166305, "Missing 'unit' parameter to $dateDiff");
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value start, args[0]->Evaluate(ctx));
        ASSIGN_OR_RETURN(Value end, args[1]->Evaluate(ctx));
        ASSIGN_OR_RETURN(Value unit_v, args[2]->Evaluate(ctx));
        bool tz_null;
        ASSIGN_OR_RETURN(absl::TimeZone tz, EvalTimeZone(args[3], ctx, &tz_null));
        ASSIGN_OR_RETURN(Value sow_v, EvalOpt(args[4], ctx));
        if (start.nullish() || end.nullish() || unit_v.nullish() || tz_null) return Value::Null();
        int64_t a, b;
        if (!ToDateMillis(start, &a)) {
          return Error(5166307, absl::StrCat("$dateDiff requires 'startDate' to be a date, but "
                                             "got ",
                                             TypeName(start)));
        }
        if (!ToDateMillis(end, &b)) {
          return Error(5166307, absl::StrCat("$dateDiff requires 'endDate' to be a date, but got ",
                                             TypeName(end)));
        }
        ASSIGN_OR_RETURN(Unit unit, ParseUnit(unit_v, "$dateDiff"));
        int start_of_week = 1;
        if (unit == Unit::kWeek && !sow_v.missing()) {
          if (sow_v.nullish()) return Value::Null();
          ASSIGN_OR_RETURN(start_of_week, ParseStartOfWeek(sow_v, "$dateDiff"));
        }
        const Parts pa = Breakdown(a, tz), pb = Breakdown(b, tz);
        int64_t r = 0;
        switch (unit) {
          case Unit::kYear:
            r = pb.cs.year() - pa.cs.year();
            break;
          case Unit::kQuarter:
            r = (pb.cs.year() * 4 + (pb.cs.month() - 1) / 3) -
                (pa.cs.year() * 4 + (pa.cs.month() - 1) / 3);
            break;
          case Unit::kMonth:
            r = absl::CivilMonth(pb.cs) - absl::CivilMonth(pa.cs);
            break;
          case Unit::kWeek: {
            const absl::CivilDay da = absl::CivilDay(pa.cs), db = absl::CivilDay(pb.cs);
            r = ((db - DaysIntoWeek(db, start_of_week)) - (da - DaysIntoWeek(da, start_of_week))) /
                7;
            break;
          }
          case Unit::kDay:
            r = absl::CivilDay(pb.cs) - absl::CivilDay(pa.cs);
            break;
          case Unit::kHour:
            r = absl::CivilHour(pb.cs) - absl::CivilHour(pa.cs);
            break;
          case Unit::kMinute:
            r = absl::CivilMinute(pb.cs) - absl::CivilMinute(pa.cs);
            break;
          case Unit::kSecond:
            r = FloorDiv(b, 1000) - FloorDiv(a, 1000);
            break;
          case Unit::kMillisecond:
            r = b - a;
            break;
        }
        return Value::Int64(r);
      }));
}

absl::StatusOr<ExpressionPtr> ParseDateTrunc(const bson_iter_t& operand, ParseContext& ctx) {
  std::vector<ExpressionPtr> args;  // date, unit, binSize, timezone, startOfWeek
  RETURN_IF_ERROR(ParseNamed(operand, ctx, {"date", "unit", "binSize", "timezone", "startOfWeek"},
                             &args, 5439007, "$dateTrunc only supports an object as its argument",
                             5439008, "Unrecognized argument to $dateTrunc: "));
  if (!args[0]) return Error(5439009, "Missing 'date' parameter to $dateTrunc");
  if (!args[1]) return Error(5439010, "Missing 'unit' parameter to $dateTrunc");
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value date, args[0]->Evaluate(ctx));
        ASSIGN_OR_RETURN(Value unit_v, args[1]->Evaluate(ctx));
        ASSIGN_OR_RETURN(Value bin_v, EvalOpt(args[2], ctx));
        bool tz_null;
        ASSIGN_OR_RETURN(absl::TimeZone tz, EvalTimeZone(args[3], ctx, &tz_null));
        ASSIGN_OR_RETURN(Value sow_v, EvalOpt(args[4], ctx));
        if (date.nullish() || unit_v.nullish() || tz_null || (args[2] && bin_v.nullish())) {
          return Value::Null();
        }
        int64_t ms;
        if (!ToDateMillis(date, &ms)) {
          return Error(5439012, absl::StrCat("$dateTrunc requires 'date' to be a date, but got ",
                                             TypeName(date)));
        }
        ASSIGN_OR_RETURN(Unit unit, ParseUnit(unit_v, "$dateTrunc"));
        int64_t bin = 1;
        if (args[2]) {
          if (!ToInt64Exact(bin_v, &bin)) {
            return Error(5439017, absl::StrCat("$dateTrunc requires 'binSize' to be a 64-bit "
                                               "integer, but got value '",
                                               bin_v.DebugString(), "' of type ", TypeName(bin_v)));
          }
          if (bin <= 0) {
            return Error(5439018, absl::StrCat("$dateTrunc requires 'binSize' to be greater than "
                                               "0, but got value ",
                                               bin));
          }
        }
        int start_of_week = 1;
        if (unit == Unit::kWeek && !sow_v.missing()) {
          if (sow_v.nullish()) return Value::Null();
          ASSIGN_OR_RETURN(start_of_week, ParseStartOfWeek(sow_v, "$dateTrunc"));
        }
        const Parts p = Breakdown(ms, tz);
        const absl::CivilSecond ref(2000, 1, 1, 0, 0, 0);
        absl::CivilSecond out;
        switch (unit) {
          case Unit::kYear:
          case Unit::kQuarter:
          case Unit::kMonth: {
            const int64_t per = unit == Unit::kYear ? 12 : unit == Unit::kQuarter ? 3 : 1;
            const int64_t months = absl::CivilMonth(p.cs) - absl::CivilMonth(ref);
            const absl::CivilMonth m =
                absl::CivilMonth(ref) + FloorDiv(months, per * bin) * per * bin;
            out = absl::CivilSecond(m);
            break;
          }
          case Unit::kWeek: {
            absl::CivilDay first(2000, 1, 1);
            while (DayOfWeek(absl::CivilSecond(first)) != start_of_week) ++first;
            const int64_t days = absl::CivilDay(p.cs) - first;
            out = absl::CivilSecond(first + FloorDiv(days, 7 * bin) * 7 * bin);
            break;
          }
          case Unit::kDay: {
            const absl::CivilDay first(2000, 1, 1);
            out = absl::CivilSecond(first + FloorDiv(absl::CivilDay(p.cs) - first, bin) * bin);
            break;
          }
          case Unit::kHour: {
            const absl::CivilHour first(ref);
            out = absl::CivilSecond(first + FloorDiv(absl::CivilHour(p.cs) - first, bin) * bin);
            break;
          }
          case Unit::kMinute: {
            const absl::CivilMinute first(ref);
            out = absl::CivilSecond(first + FloorDiv(absl::CivilMinute(p.cs) - first, bin) * bin);
            break;
          }
          case Unit::kSecond:
            out = ref + FloorDiv(p.cs - ref, bin) * bin;
            break;
          case Unit::kMillisecond: {
            const int64_t base = 946684800000;  // 2000-01-01T00:00:00Z
            return Value::Date(base + FloorDiv(ms - base, bin) * bin);
          }
        }
        return Value::Date(ToMillis(out, 0, tz));
      }));
}

absl::StatusOr<ExpressionPtr> ParseDateToParts(const bson_iter_t& operand, ParseContext& ctx) {
  std::vector<ExpressionPtr> args;  // date, timezone, iso8601
  RETURN_IF_ERROR(ParseNamed(operand, ctx, {"date", "timezone", "iso8601"}, &args, 40524,
                             "$dateToParts only supports an object as its argument", 40520,
                             "Unrecognized argument to $dateToParts: "));
  if (!args[0]) return Error(40522, "Missing 'date' parameter to $dateToParts");
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [](const std::vector<ExpressionPtr>& args, EvalContext& ctx) -> absl::StatusOr<Value> {
        ASSIGN_OR_RETURN(Value date, args[0]->Evaluate(ctx));
        bool tz_null;
        ASSIGN_OR_RETURN(absl::TimeZone tz, EvalTimeZone(args[1], ctx, &tz_null));
        ASSIGN_OR_RETURN(Value iso_v, EvalOpt(args[2], ctx));
        if (date.nullish() || tz_null) return Value::Null();
        bool iso = false;
        if (!iso_v.missing()) {
          if (iso_v.nullish()) return Value::Null();
          if (iso_v.type() != BSON_TYPE_BOOL) {
            return Error(40521,
                         absl::StrCat("iso8601 must evaluate to a bool, found ", TypeName(iso_v)));
          }
          iso = iso_v.boolean();
        }
        int64_t ms;
        if (!ToDateMillis(date, &ms)) return BadDate(date);
        const Parts p = Breakdown(ms, tz);
        DocumentBuilder out;
        if (iso) {
          int64_t y;
          int w;
          IsoWeek(p.cs, &y, &w);
          out.Append("isoWeekYear", Value::Int32(static_cast<int32_t>(y)));
          out.Append("isoWeek", Value::Int32(w));
          out.Append("isoDayOfWeek", Value::Int32(IsoDayOfWeek(p.cs)));
        } else {
          out.Append("year", Value::Int32(static_cast<int32_t>(p.cs.year())));
          out.Append("month", Value::Int32(p.cs.month()));
          out.Append("day", Value::Int32(p.cs.day()));
        }
        out.Append("hour", Value::Int32(p.cs.hour()));
        out.Append("minute", Value::Int32(p.cs.minute()));
        out.Append("second", Value::Int32(p.cs.second()));
        out.Append("millisecond", Value::Int32(p.millis));
        return out.Build();
      }));
}

absl::StatusOr<ExpressionPtr> ParseDateFromParts(const bson_iter_t& operand, ParseContext& ctx) {
  const std::vector<std::string> names = {"year",    "month",        "day",         "hour",
                                          "minute",  "second",       "millisecond", "isoWeekYear",
                                          "isoWeek", "isoDayOfWeek", "timezone"};
  std::vector<ExpressionPtr> args;
  RETURN_IF_ERROR(ParseNamed(operand, ctx, names, &args, 40519,
                             "$dateFromParts only supports an object as its argument", 40518,
                             "Unrecognized argument to $dateFromParts: "));
  const bool calendar = args[0] || args[1] || args[2];
  const bool iso = args[7] || args[8] || args[9];
  if (calendar && iso) {
    return Error(40489, "$dateFromParts does not allow mixing natural dates with ISO dates");
  }
  if (!args[0] && !args[7]) {
    return Error(40516, "$dateFromParts requires either 'year' or 'isoWeekYear' to be present");
  }
  return ExpressionPtr(std::make_unique<GenericExpression>(
      std::move(args),
      [names, iso](const std::vector<ExpressionPtr>& args,
                   EvalContext& ctx) -> absl::StatusOr<Value> {
        int64_t v[10] = {0, 1, 1, 0, 0, 0, 0, 0, 1, 1};
        for (int i = 0; i < 10; ++i) {
          if (!args[i]) continue;
          ASSIGN_OR_RETURN(Value x, args[i]->Evaluate(ctx));
          if (x.nullish()) return Value::Null();
          if (!ToInt64Exact(x, &v[i])) {
            return Error(40515, absl::StrCat("'", names[i], "' must evaluate to an integer, found ",
                                             TypeName(x), " with value ", x.DebugString()));
          }
        }
        bool tz_null;
        ASSIGN_OR_RETURN(absl::TimeZone tz, EvalTimeZone(args[10], ctx, &tz_null));
        if (tz_null) return Value::Null();
        const int64_t year = iso ? v[7] : v[0];
        if (year < 1 || year > 9999) {
          return Error(40523, absl::StrCat("'", iso ? "isoWeekYear" : "year",
                                           "' must evaluate to an integer in the range 1 to 9999, "
                                           "found ",
                                           year));
        }
        absl::CivilSecond cs;
        if (iso) {
          const absl::CivilDay jan4(year, 1, 4);
          const absl::CivilDay monday = jan4 - (IsoDayOfWeek(absl::CivilSecond(jan4)) - 1);
          cs = absl::CivilSecond(monday + (v[8] - 1) * 7 + (v[9] - 1));
        } else {
          cs = absl::CivilSecond(absl::CivilMonth(year, 1) + (v[1] - 1));
          cs = absl::CivilSecond(absl::CivilDay(cs) + (v[2] - 1));
        }
        cs = cs + v[3] * 3600 + v[4] * 60 + v[5];
        const int64_t secs = FloorDiv(v[6], 1000);
        cs = cs + secs;
        return Value::Date(ToMillis(cs, static_cast<int>(v[6] - secs * 1000), tz));
      }));
}

void AddPart(OperatorTable* t, const char* name, Part part) {
  (*t)[name] = [name, part](const bson_iter_t& o, ParseContext& c) {
    return ParseDatePart(o, c, name, part);
  };
}

}  // namespace

void AddDateOperators(OperatorTable* t) {
  AddPart(t, "$year", Part::kYear);
  AddPart(t, "$month", Part::kMonth);
  AddPart(t, "$dayOfMonth", Part::kDayOfMonth);
  AddPart(t, "$hour", Part::kHour);
  AddPart(t, "$minute", Part::kMinute);
  AddPart(t, "$second", Part::kSecond);
  AddPart(t, "$millisecond", Part::kMillisecond);
  AddPart(t, "$dayOfWeek", Part::kDayOfWeek);
  AddPart(t, "$dayOfYear", Part::kDayOfYear);
  AddPart(t, "$week", Part::kWeek);
  AddPart(t, "$isoWeek", Part::kIsoWeek);
  AddPart(t, "$isoWeekYear", Part::kIsoWeekYear);
  AddPart(t, "$isoDayOfWeek", Part::kIsoDayOfWeek);
  (*t)["$dateToString"] = ParseDateToString;
  (*t)["$dateFromString"] = ParseDateFromString;
  (*t)["$dateAdd"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseDateAdd(o, c, false);
  };
  (*t)["$dateSubtract"] = [](const bson_iter_t& o, ParseContext& c) {
    return ParseDateAdd(o, c, true);
  };
  (*t)["$dateDiff"] = ParseDateDiff;
  (*t)["$dateTrunc"] = ParseDateTrunc;
  (*t)["$dateToParts"] = ParseDateToParts;
  (*t)["$dateFromParts"] = ParseDateFromParts;
}

}  // namespace strata::query::expression::internal
