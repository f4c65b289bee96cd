using System.Globalization;

namespace Consortia.Data.Contracts;

/// <summary>Compares a value with a categorical level: as text, or as numbers when both parse as numbers (<c>1.0</c> matches <c>1</c>).</summary>
internal static class LevelMatcher
{
    public static bool Matches(string value, string level)
    {
        if (string.Equals(value, level, StringComparison.Ordinal))
        {
            return true;
        }

        return TryParseNumber(value, out double a) && TryParseNumber(level, out double b) && a == b;
    }

    public static int IndexOf(IReadOnlyList<string> levels, string value)
    {
        for (int i = 0; i < levels.Count; i++)
        {
            if (string.Equals(levels[i], value, StringComparison.Ordinal))
            {
                return i;
            }
        }

        if (!TryParseNumber(value, out double number))
        {
            return -1;
        }

        for (int i = 0; i < levels.Count; i++)
        {
            if (TryParseNumber(levels[i], out double level) && level == number)
            {
                return i;
            }
        }

        return -1;
    }

    public static bool TryParseNumber(string text, out double value) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
}
