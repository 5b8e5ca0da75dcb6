"""Search-term highlighting on result cards: marks whole words, escapes everything, and never
reaches into the HTML entities its own escaping makes."""

from dailypapers.search.templatetags.search import highlight


def test_terms_are_marked_and_the_rest_escaped():
    assert highlight("Graph networks <b>", ["networks"]) == (
        "Graph <mark>networks</mark> &lt;b&gt;"
    )


def test_a_term_that_is_an_entity_name_leaves_the_entities_whole():
    # "&" and '"' become &amp; and &quot;: a term "amp" or "quot" must not mark inside them.
    assert highlight("Tom & Jerry amplify", ["amp"]) == "Tom &amp; Jerry <mark>amplify</mark>"
    assert highlight('a "quote"', ["quot"]) == "a &quot;<mark>quote</mark>&quot;"
    assert highlight("x < y", ["lt"]) == "x &lt; y"


def test_math_is_left_alone():
    assert highlight("on $networks$ networks", ["networks"]) == (
        "on $networks$ <mark>networks</mark>"
    )
