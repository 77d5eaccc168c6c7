//! Short forms, diminutives and cross-language variants of common European given names.
//!
//! Each entry maps variants to one canonical (French where one exists) folded form, so that a
//! comparison can treat `JP` and `Jean-Pierre`, or `Katja` and `Katharina`, as the same name.
//! Ambiguous short forms (`Chris`, `Steph`, `Dom`) are mapped to one reading on purpose or left out.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

/// `(canonical, variants)`; every string is folded (lower-case ASCII, words separated by spaces).
const GIVEN_NAMES: &[(&str, &[&str])] = &[
    ("jean pierre", &["jp", "j p", "jeanpierre"]),
    ("jean paul", &["jeanpaul"]),
    ("jean francois", &["jf", "j f", "jeanfrancois"]),
    ("jean claude", &["jc", "j c", "jeanclaude"]),
    ("jean luc", &["jeanluc"]),
    ("jean marc", &["jeanmarc"]),
    ("jean michel", &["jeanmichel"]),
    ("jean baptiste", &["jb", "j b", "jeanbaptiste"]),
    ("jean louis", &["jeanlouis"]),
    ("jean jacques", &["jeanjacques"]),
    ("marie christine", &["mariechristine"]),
    ("marie claude", &["marieclaude"]),
    ("marie france", &["mariefrance"]),
    ("pierre yves", &["py", "pierreyves"]),
    ("anne sophie", &["annesophie"]),
    (
        "alexandre",
        &[
            "alex",
            "alexander",
            "alessandro",
            "alejandro",
            "aleksander",
            "aleksandr",
            "sacha",
            "sasha",
            "sandro",
        ],
    ),
    (
        "alexandra",
        &["alexandrine", "alessandra", "alejandra", "aleksandra"],
    ),
    (
        "frederic",
        &[
            "fred",
            "freddy",
            "freddie",
            "frederick",
            "frederik",
            "friedrich",
            "fritz",
            "federico",
            "fryderyk",
        ],
    ),
    ("frederique", &["frederika", "friederike", "federica"]),
    (
        "christophe",
        &[
            "chris",
            "christopher",
            "christoph",
            "cristoforo",
            "cristobal",
            "krzysztof",
            "kristof",
        ],
    ),
    (
        "nicolas",
        &[
            "nico", "nick", "nicholas", "niklas", "nikolaus", "klaus", "niccolo", "nicola",
            "nikola", "mikolaj",
        ],
    ),
    ("nicole", &["nicoletta", "nikole"]),
    (
        "guillaume",
        &[
            "william",
            "will",
            "willy",
            "willi",
            "bill",
            "billy",
            "wilhelm",
            "willem",
            "guillermo",
            "guglielmo",
        ],
    ),
    (
        "jacques",
        &["jacky", "jacquot", "giacomo", "jaime", "jakub"],
    ),
    ("jacqueline", &["jackie", "jacquie"]),
    (
        "jean",
        &[
            "john", "johnny", "johann", "johannes", "hans", "juan", "giovanni", "gianni", "jan",
            "ivan", "ioannis", "joao", "sean", "jens",
        ],
    ),
    (
        "jeanne",
        &[
            "jane", "johanna", "juana", "giovanna", "joanna", "janina", "joana",
        ],
    ),
    (
        "pierre",
        &[
            "peter", "pete", "pedro", "pietro", "piotr", "petr", "piet", "pieter",
        ],
    ),
    ("paul", &["pablo", "paolo", "pawel", "pavel", "paulo"]),
    (
        "michel",
        &[
            "michael", "mike", "mick", "micky", "miguel", "michele", "mikael", "michal", "michiel",
            "mikhail", "michi",
        ],
    ),
    ("michelle", &["michela", "micaela", "michaela"]),
    (
        "stephane",
        &[
            "stefan", "steve", "steven", "stephen", "stefano", "esteban", "stephan", "szczepan",
        ],
    ),
    (
        "stephanie",
        &["stefanie", "stefania", "steffi", "stephania"],
    ),
    (
        "philippe",
        &[
            "phil", "philip", "phillip", "philipp", "felipe", "filipe", "filippo", "filip", "pippo",
        ],
    ),
    (
        "francois",
        &[
            "franz",
            "francesco",
            "francisco",
            "franciszek",
            "frantisek",
            "paco",
            "pancho",
            "franck",
            "frank",
        ],
    ),
    (
        "francoise",
        &["francesca", "francisca", "franziska", "fanny"],
    ),
    (
        "thomas",
        &["tom", "tommy", "tomas", "tommaso", "thom", "tomasz", "toma"],
    ),
    (
        "antoine",
        &[
            "anthony", "antony", "antonio", "anton", "toni", "tony", "antoni", "toine", "antonius",
        ],
    ),
    ("antoinette", &["antonia", "antonella", "toinette"]),
    (
        "henri",
        &[
            "henry", "harry", "heinrich", "heinz", "enrique", "enrico", "henrik", "henryk",
            "hendrik",
        ],
    ),
    (
        "louis",
        &[
            "ludwig", "luis", "luigi", "lewis", "lodewijk", "ludovic", "ludovico", "lutz",
        ],
    ),
    ("louise", &["luisa", "louisa", "luise", "ludovica"]),
    (
        "charles",
        &[
            "charlie", "charly", "carlos", "carlo", "karl", "carl", "karel", "karol",
        ],
    ),
    ("charlotte", &["lotte", "carlota", "carlotta", "charlie"]),
    (
        "edouard",
        &[
            "edward", "eduardo", "ed", "eddie", "eddy", "eduard", "edoardo", "ted",
        ],
    ),
    ("benjamin", &["ben", "benji", "beniamino"]),
    ("maxime", &["max", "massimo", "maximus"]),
    (
        "maximilien",
        &["maximilian", "maximiliano", "massimiliano", "maxi"],
    ),
    (
        "mathieu",
        &[
            "matthieu", "matthew", "matt", "matteo", "mateo", "mateus", "matheus", "mattheus",
            "mateusz", "mathew",
        ],
    ),
    (
        "nathalie",
        &[
            "natalie", "natalia", "nathaly", "natascha", "natacha", "natasha",
        ],
    ),
    (
        "catherine",
        &[
            "katharina",
            "katherine",
            "katharine",
            "kathryn",
            "catharina",
            "cathy",
            "kathy",
            "katia",
            "katja",
            "kati",
            "katrin",
            "kathrin",
            "katarzyna",
            "caterina",
            "catalina",
            "kate",
            "katie",
            "kasia",
            "cathie",
        ],
    ),
    (
        "elisabeth",
        &[
            "elizabeth",
            "elisabetta",
            "elzbieta",
            "isabel",
            "liz",
            "lizzie",
            "betty",
            "babette",
            "lisbeth",
            "liesel",
            "elsbeth",
            "bettina",
            "sissi",
        ],
    ),
    ("isabelle", &["isabella", "isa", "belle", "isabeau"]),
    (
        "marguerite",
        &[
            "margaret",
            "margarete",
            "margarethe",
            "margarita",
            "margherita",
            "margot",
            "maggie",
            "greta",
            "grete",
            "gretchen",
            "peggy",
            "meg",
            "malgorzata",
            "margit",
        ],
    ),
    ("dominique", &["domenico", "dominic", "dominik", "domingo"]),
    (
        "emmanuel",
        &[
            "manu", "emanuel", "emanuele", "immanuel", "manuel", "manolo",
        ],
    ),
    ("emmanuelle", &["emanuela", "manuela"]),
    ("raphael", &["raph", "rafael", "raffaele", "rafal", "rafa"]),
    (
        "sebastien",
        &[
            "seb",
            "sebastian",
            "sebastiano",
            "bastien",
            "basti",
            "sebastiao",
        ],
    ),
    ("gabriel", &["gabriele", "gabi"]),
    ("gabrielle", &["gabriella", "gaby"]),
    (
        "robert",
        &[
            "rob", "bob", "bobby", "roberto", "robbie", "robin", "ruprecht",
        ],
    ),
    ("roberte", &["roberta", "robertine"]),
    (
        "richard",
        &[
            "rick", "ricky", "ricardo", "riccardo", "dick", "rich", "rysiek", "ryszard",
        ],
    ),
    ("daniel", &["dan", "danny", "dani", "daniele", "danilo"]),
    ("danielle", &["daniela", "daniella", "dany"]),
    ("david", &["dave", "davide", "dawid", "davy"]),
    (
        "joseph",
        &[
            "jo", "joe", "joey", "jose", "josef", "josep", "giuseppe", "beppe", "peppe", "pepe",
            "jozef", "pepito", "sepp",
        ],
    ),
    (
        "josephine",
        &[
            "josefine",
            "josefina",
            "giuseppina",
            "josie",
            "fifi",
            "jozefina",
        ],
    ),
    (
        "vincent",
        &["vince", "vincenzo", "vicente", "wincenty", "enzo"],
    ),
    (
        "laurent",
        &[
            "lorenzo",
            "lawrence",
            "laurence",
            "lorenz",
            "larry",
            "lars",
            "laurens",
            "wawrzyniec",
        ],
    ),
    (
        "julien",
        &[
            "julian", "giuliano", "juliano", "julius", "giulio", "jules", "julio",
        ],
    ),
    (
        "julie",
        &["julia", "giulia", "juliette", "julienne", "jule", "julka"],
    ),
    (
        "marie",
        &[
            "maria", "mary", "marija", "maryse", "mariette", "marietta", "maja", "mimi", "mitzi",
            "ria", "marion",
        ],
    ),
    (
        "anne",
        &[
            "anna", "ann", "annie", "anja", "ana", "anka", "annette", "anouk", "nanette", "nancy",
            "annika", "anneke",
        ],
    ),
    (
        "sophie",
        &["sofia", "sophia", "sofie", "zofia", "sonja", "sonia"],
    ),
    (
        "helene",
        &[
            "helen", "helena", "elena", "ellen", "lena", "hella", "ilona",
        ],
    ),
    (
        "georges",
        &[
            "george", "georg", "jorge", "giorgio", "jurgen", "jorg", "jerzy", "yuri", "jordi",
            "schorsch",
        ],
    ),
    (
        "gerard",
        &["gerhard", "gerardo", "gerrit", "gerd", "gerry", "gerardus"],
    ),
    (
        "andre",
        &[
            "andrew", "andreas", "andrea", "andres", "andrej", "andrei", "andy", "andrzej",
            "andras", "dede",
        ],
    ),
    ("andree", &["andrea", "andreia"]),
    ("olivier", &["oliver", "olly", "oliviero", "oli", "olli"]),
    ("xavier", &["xavi", "javier", "saverio", "xaver"]),
    (
        "ignace",
        &["ignacio", "ignazio", "ignatius", "ignaz", "nacho"],
    ),
    (
        "caroline",
        &[
            "carolina", "karoline", "karolina", "caro", "carole", "carol", "carola",
        ],
    ),
    (
        "christine",
        &[
            "christina",
            "kristina",
            "cristina",
            "kristin",
            "kirsten",
            "christiane",
            "krystyna",
            "stine",
        ],
    ),
    (
        "christian",
        &["christiaan", "cristiano", "krystian", "kristian"],
    ),
    ("valerie", &["valeria", "valery", "walerie"]),
    ("veronique", &["veronica", "veronika", "vero", "vroni"]),
    ("virginie", &["virginia", "ginny", "virgine"]),
    (
        "therese",
        &[
            "theresa", "teresa", "tereza", "resi", "thea", "tessa", "terese",
        ],
    ),
    (
        "cecile",
        &["cecilia", "cecily", "cecilie", "cilly", "cecylia"],
    ),
    (
        "benoit",
        &[
            "benedict",
            "benedikt",
            "benedetto",
            "benito",
            "bento",
            "benedykt",
        ],
    ),
    (
        "gregoire",
        &["gregory", "gregor", "gregorio", "greg", "grzegorz"],
    ),
    ("etienne", &["tienne", "estienne"]),
    ("francis", &["francisque"]),
    ("patrick", &["patrik", "patricio", "patrizio", "paddy"]),
    ("patricia", &["patrizia", "patty", "pat", "tricia"]),
    (
        "bernard",
        &["bernhard", "bernardo", "bernd", "bernie", "bernardino"],
    ),
    ("hugues", &["hugh", "ugo", "hughes"]),
    ("martin", &["martino", "marcin", "martinus", "tino"]),
    (
        "marc",
        &["mark", "marco", "marcos", "markus", "marcus", "marek"],
    ),
    ("eric", &["erik", "erich", "enrich"]),
    ("arnaud", &["arnold", "arnaldo", "arno", "arnd"]),
    ("thierry", &["theodoric", "dietrich", "dieter", "terry"]),
    ("guy", &["guido", "guidon"]),
    ("yves", &["ivo", "yvon", "ives"]),
    ("agnes", &["agnese", "agnieszka", "agneta"]),
    ("barbara", &["babs", "barbe", "basia", "barbora"]),
    (
        "madeleine",
        &[
            "magdalena",
            "madeline",
            "maddalena",
            "magda",
            "madelon",
            "magdalene",
            "lene",
        ],
    ),
    (
        "suzanne",
        &[
            "susanne", "susanna", "susan", "suzy", "susi", "zuzanna", "susana", "suzette",
        ],
    ),
    // English short forms and diminutives (a canonical name listed again adds variants).
    ("james", &["jim", "jimmy", "jamie"]),
    ("jennifer", &["jen", "jenny", "jenn"]),
    ("victoria", &["vicky", "vicki", "tori"]),
    ("rebecca", &["becky", "becca"]),
    ("suzanne", &["sue", "susie", "suzie"]),
    ("deborah", &["deb", "debbie", "debby", "debra"]),
    ("sandra", &["sandy"]),
    ("samuel", &["sam", "sammy"]),
    ("ronald", &["ron", "ronnie"]),
    ("donald", &["don", "donnie"]),
    ("kenneth", &["ken", "kenny"]),
    ("gerald", &["jerry"]),
    ("timothy", &["tim", "timmy"]),
    ("albert", &["al", "bert", "bertie"]),
    ("walter", &["walt", "wally"]),
    ("nathan", &["nate"]),
    ("zachary", &["zach", "zack", "zak"]),
    ("jacob", &["jake"]),
    ("joshua", &["josh"]),
    ("abigail", &["abby", "abbie"]),
    ("angela", &["angie"]),
    ("cynthia", &["cindy"]),
    ("constance", &["connie"]),
    ("dorothy", &["dot", "dottie"]),
    ("eleanor", &["ellie", "nell", "nellie"]),
    ("emily", &["emmy"]),
    ("gwendolyn", &["gwen"]),
    ("kimberly", &["kim"]),
    ("pamela", &["pam"]),
    ("penelope", &["penny"]),
    ("rose", &["rosie"]),
    ("sarah", &["sally", "sadie"]),
    ("amanda", &["mandy"]),
    ("madeleine", &["maddie", "maddy"]),
    ("marie", &["molly", "polly"]),
    ("barbara", &["barb", "barbie"]),
    ("beatrice", &["bea", "trixie"]),
    ("patricia", &["trish"]),
    ("charles", &["chuck", "chas"]),
    ("henri", &["hank"]),
    ("therese", &["tess", "tessie"]),
    ("valerie", &["val"]),
    ("stacy", &["stacey"]),
    ("michelle", &["shelly", "shelley"]),
    ("winifred", &["winnie"]),
    ("gertrude", &["trudy", "gertie"]),
    ("allison", &["allie", "ally"]),
    ("alexandra", &["lexi", "alexa"]),
];

fn table() -> &'static HashMap<&'static str, &'static str> {
    static TABLE: OnceLock<HashMap<&'static str, &'static str>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut map = HashMap::with_capacity(GIVEN_NAMES.len() * 8);
        for &(canonical, variants) in GIVEN_NAMES {
            for &variant in variants {
                // The first reading listed wins for an ambiguous short form.
                map.entry(variant).or_insert(canonical);
            }
        }
        map
    })
}

/// Canonical form of a folded given name (see [`super::normalize_name`]): short forms,
/// diminutives and other-language variants map to one name (`jp` → `jean pierre`, `katja` →
/// `catherine`, `alex` → `alexandre`); any other name is returned unchanged and borrowed.
///
/// Compound names are looked up whole, so `jean pierre` stays itself while `jp` and
/// `jeanpierre` map to it.
#[must_use]
pub fn canonical_given_name(folded: &str) -> Cow<'_, str> {
    match table().get(folded) {
        Some(&canonical) => Cow::Borrowed(canonical),
        None => Cow::Borrowed(folded),
    }
}

/// Each word of a folded name through [`canonical_given_name`], joined by spaces (`tony
/// garcia` → `anthony garcia`): what name comparisons and the `canonical(...)` key read.
#[must_use]
pub fn canonical_name(folded: &str) -> String {
    folded
        .split_whitespace()
        .map(canonical_given_name)
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_folded_and_large() {
        let entries: usize = GIVEN_NAMES.iter().map(|(_, v)| v.len()).sum();
        assert!(
            GIVEN_NAMES.len() >= 80 && entries >= 300,
            "{} / {entries}",
            GIVEN_NAMES.len()
        );
        for &(canonical, variants) in GIVEN_NAMES {
            for name in std::iter::once(&canonical).chain(variants) {
                assert_eq!(
                    crate::normalize::fold_text(name),
                    *name,
                    "not folded: {name:?}"
                );
            }
            // A canonical form is its own canonical form, so lookups are idempotent.
            assert_eq!(canonical_given_name(canonical), canonical);
        }
    }

    #[test]
    fn short_forms_map_to_one_name() {
        let same = [
            ("jp", "jean pierre"),
            ("jean pierre", "jean pierre"),
            ("jeanpierre", "jean pierre"),
            ("alex", "alexandre"),
            ("alexander", "alexandre"),
            ("fred", "frederic"),
            ("frederic", "frederic"),
            ("katja", "catherine"),
            ("katharina", "catherine"),
            ("bill", "guillaume"),
            ("giuseppe", "joseph"),
            ("hans", "jean"),
            ("peter", "pierre"),
            ("margot", "marguerite"),
        ];
        for (name, want) in same {
            assert_eq!(canonical_given_name(name), want, "{name}");
        }
        assert_eq!(canonical_given_name("kevin"), "kevin");
        assert_ne!(canonical_given_name("jean"), canonical_given_name("jeanne"));
    }
}
