import type { z } from 'zod';
import type { catalogImportSchema } from './dto/catalog-entry.schema.js';

type DemoEntry = z.input<typeof catalogImportSchema>[number];

/**
 * The catalogue loaded into an empty embedded database, so a fresh `npm start` has something to
 * watch. Ids are TMDB ids. Runtimes are the usual theatrical cuts; episode runtimes are rounded
 * to the minute. Overviews are our own words. Validated with the import schema when seeded.
 *
 * End credits: how long the credits roll, in seconds, by movie id. Plausible lengths for the
 * demo (big productions roll longer), not measured; `creditsStartSeconds` is the runtime less
 * this. A movie missing here has no known credits, so its finished point is the percentage alone.
 */
const CREDITS_SECONDS: Record<number, number> = {
  550: 330, 27205: 540, 155: 600, 680: 280, 603: 420, 157336: 560, 278: 300, 238: 240, 240: 270, 13: 390,
  11: 300, 1891: 330, 1892: 360, 12: 450, 597: 540, 19995: 620, 120: 1000, 121: 1020, 122: 1380, 424: 420,
  329: 330, 105: 300, 862: 300, 98: 480, 807: 390, 274: 360, 769: 330, 857: 480, 8587: 360, 129: 300, 496243: 330,
};

const movie = (mediaId: number, title: string, releaseYear: number, minutes: number, genres: string[], overview: string): DemoEntry => ({
  mediaType: 'movie',
  mediaId,
  title,
  overview,
  releaseYear,
  runtimeSeconds: minutes * 60,
  ...(CREDITS_SECONDS[mediaId] ? { creditsStartSeconds: minutes * 60 - CREDITS_SECONDS[mediaId] } : {}),
  genres,
  posterUrl: null,
});

/**
 * `episodes` per season: [title, minutes]. Every episode's end credits roll for `creditsSeconds`
 * (omitted: not known).
 */
const show = (
  mediaId: number,
  title: string,
  releaseYear: number,
  typicalMinutes: number,
  genres: string[],
  overview: string,
  seasons: Record<number, [string, number][]>,
  creditsSeconds?: number,
): DemoEntry => ({
  mediaType: 'tv',
  mediaId,
  title,
  overview,
  releaseYear,
  runtimeSeconds: typicalMinutes * 60,
  genres,
  posterUrl: null,
  seasons: Object.entries(seasons).map(([seasonNumber, episodes]) => ({
    seasonNumber: Number(seasonNumber),
    episodes: episodes.map(([episodeTitle, minutes], i) => ({
      episodeNumber: i + 1,
      title: episodeTitle,
      runtimeSeconds: minutes * 60,
      ...(creditsSeconds ? { creditsStartSeconds: minutes * 60 - creditsSeconds } : {}),
    })),
  })),
});

const fleabagSeason = (minutes: number): [string, number][] => [1, 2, 3, 4, 5, 6].map((n) => [`Episode ${n}`, minutes]);

export const DEMO_CATALOG: DemoEntry[] = [
  movie(550, 'Fight Club', 1999, 139, ['Drama', 'Thriller'], 'A sleepless office worker and a reckless soap salesman start an underground fight club that grows into something far more dangerous.'),
  movie(27205, 'Inception', 2010, 148, ['Action', 'Science Fiction', 'Adventure'], "A thief who steals secrets from people's dreams gets one chance to clear his name: plant an idea in a target's mind instead."),
  movie(155, 'The Dark Knight', 2008, 152, ['Action', 'Crime', 'Drama', 'Thriller'], "Batman, Lieutenant Gordon and District Attorney Harvey Dent take on Gotham's mob until the Joker drives the city into chaos."),
  movie(680, 'Pulp Fiction', 1994, 154, ['Crime', 'Thriller'], "Two hitmen, a boxer, a gangster's wife and a pair of diner robbers cross paths in an out-of-order tale of Los Angeles crime."),
  movie(603, 'The Matrix', 1999, 136, ['Action', 'Science Fiction'], 'A hacker learns that his everyday world is a simulation run by machines and joins the rebels who fight them.'),
  movie(157336, 'Interstellar', 2014, 169, ['Adventure', 'Drama', 'Science Fiction'], "With Earth's crops failing, a former pilot leads a crew through a wormhole in search of a new home for humanity."),
  movie(278, 'The Shawshank Redemption', 1994, 142, ['Drama', 'Crime'], 'A banker serving life for a murder he did not commit finds friendship and quiet hope over two decades in Shawshank prison.'),
  movie(238, 'The Godfather', 1972, 175, ['Drama', 'Crime'], "The ageing head of a New York crime family passes his empire to his reluctant youngest son."),
  movie(240, 'The Godfather Part II', 1974, 202, ['Drama', 'Crime'], "Michael Corleone tightens his hold on the family business while his father's rise in early twentieth-century New York is retold."),
  movie(13, 'Forrest Gump', 1994, 142, ['Comedy', 'Drama', 'Romance'], 'A kind-hearted man from Alabama drifts through decades of American history without ever losing his love for his childhood friend.'),
  movie(11, 'Star Wars', 1977, 121, ['Adventure', 'Action', 'Science Fiction'], "A farm boy joins an old Jedi Knight, a smuggler and a rebel princess to destroy the Empire's planet-killing battle station."),
  movie(1891, 'The Empire Strikes Back', 1980, 124, ['Adventure', 'Action', 'Science Fiction'], 'While the Rebels scatter before the Empire, Luke Skywalker trains with Yoda and then confronts Darth Vader.'),
  movie(1892, 'Return of the Jedi', 1983, 131, ['Adventure', 'Action', 'Science Fiction'], 'The Rebels rescue Han Solo and stake everything on an attack on the new Death Star while Luke faces Vader and the Emperor.'),
  movie(12, 'Finding Nemo', 2003, 100, ['Animation', 'Family'], "A timid clownfish crosses the ocean to bring home his son, who has ended up in a dentist's fish tank in Sydney."),
  movie(597, 'Titanic', 1997, 194, ['Drama', 'Romance'], 'A penniless artist and an unhappy young socialite fall in love aboard the doomed liner on its maiden voyage.'),
  movie(19995, 'Avatar', 2009, 162, ['Action', 'Adventure', 'Fantasy', 'Science Fiction'], "A paralysed marine sent to the moon Pandora in a borrowed alien body comes to side with its people against the humans mining it."),
  movie(120, 'The Lord of the Rings: The Fellowship of the Ring', 2001, 178, ['Adventure', 'Fantasy', 'Action'], 'A young hobbit sets out with eight companions to destroy a ring of terrible power before its maker can reclaim it.'),
  movie(121, 'The Lord of the Rings: The Two Towers', 2002, 179, ['Adventure', 'Fantasy', 'Action'], 'With the fellowship broken, Frodo and Sam press on towards Mordor while their friends defend Rohan against Saruman.'),
  movie(122, 'The Lord of the Rings: The Return of the King', 2003, 201, ['Adventure', 'Fantasy', 'Action'], 'As the armies of Mordor besiege Gondor, Frodo and Sam make the last climb to Mount Doom.'),
  movie(424, "Schindler's List", 1993, 195, ['Drama', 'History', 'War'], 'A German industrialist gradually turns his factory into a refuge that saves more than a thousand Jews from the Holocaust.'),
  movie(329, 'Jurassic Park', 1993, 127, ['Adventure', 'Science Fiction'], "A theme park of cloned dinosaurs goes badly wrong during a weekend preview for a handful of experts and the owner's grandchildren."),
  movie(105, 'Back to the Future', 1985, 116, ['Adventure', 'Comedy', 'Science Fiction'], 'A teenager accidentally travels back to 1955 in a time-machine DeLorean and must get his parents to fall in love.'),
  movie(862, 'Toy Story', 1995, 81, ['Animation', 'Adventure', 'Family', 'Comedy'], "A pull-string cowboy doll feels threatened when a flashy space-ranger toy becomes his owner's new favourite."),
  movie(98, 'Gladiator', 2000, 155, ['Action', 'Drama', 'Adventure'], 'A betrayed Roman general, sold into slavery, fights his way through the arenas to take revenge on the emperor.'),
  movie(807, 'Se7en', 1995, 127, ['Crime', 'Mystery', 'Thriller'], 'Two detectives hunt a serial killer who stages each murder after one of the seven deadly sins.'),
  movie(274, 'The Silence of the Lambs', 1991, 118, ['Crime', 'Drama', 'Thriller'], 'An FBI trainee seeks the help of an imprisoned cannibal psychiatrist to catch another serial killer.'),
  movie(769, 'Goodfellas', 1990, 145, ['Drama', 'Crime'], 'The rise and fall of a mob associate over three decades in the New York underworld.'),
  movie(857, 'Saving Private Ryan', 1998, 169, ['Drama', 'History', 'War'], 'After the Normandy landings, a squad of soldiers is sent behind enemy lines to bring home a paratrooper whose brothers have all been killed.'),
  movie(8587, 'The Lion King', 1994, 88, ['Family', 'Animation', 'Drama'], 'A lion cub who flees after his father is killed must return as an adult to claim his place as king.'),
  movie(129, 'Spirited Away', 2001, 125, ['Animation', 'Family', 'Fantasy'], 'A girl trapped in a bathhouse for spirits works to free herself and her parents, who have been turned into pigs.'),
  movie(496243, 'Parasite', 2019, 132, ['Comedy', 'Thriller', 'Drama'], 'A poor family talks its way, one member at a time, into jobs in the household of a wealthy family.'),
  movie(348, 'Alien', 1979, 117, ['Horror', 'Science Fiction'], 'The crew of a commercial space tug answers a distress call and brings a deadly creature on board.'),
  movie(78, 'Blade Runner', 1982, 117, ['Science Fiction', 'Drama', 'Thriller'], 'In a rain-soaked Los Angeles of 2019, a detective is ordered to hunt down four fugitive replicants.'),
  movie(1124, 'The Prestige', 2006, 130, ['Drama', 'Mystery', 'Science Fiction'], 'Two rival stage magicians in Victorian London wreck each other\'s lives in their obsession with the perfect illusion.'),
  movie(77, 'Memento', 2000, 113, ['Mystery', 'Thriller'], "A man who cannot form new memories hunts his wife's killer with notes, photographs and tattoos."),
  movie(244786, 'Whiplash', 2014, 107, ['Drama', 'Music'], 'A young jazz drummer at a top music school is pushed to breaking point by a ruthless instructor.'),
  movie(280, 'Terminator 2: Judgment Day', 1991, 137, ['Action', 'Thriller', 'Science Fiction'], 'A reprogrammed Terminator protects a boy who will one day lead humanity against the machines from a deadlier shape-shifting model.'),
  movie(85, 'Raiders of the Lost Ark', 1981, 115, ['Adventure', 'Action'], 'Archaeologist Indiana Jones races the Nazis to find the Ark of the Covenant.'),
  movie(578, 'Jaws', 1975, 124, ['Horror', 'Thriller', 'Adventure'], 'A police chief, a marine biologist and a grizzled fisherman set out to kill a great white shark terrorising a beach town.'),

  show(87108, 'Chernobyl', 2019, 65, ['Drama', 'History'], 'A dramatisation of the 1986 nuclear disaster and of the people who fought to contain it and to expose its causes.', {
    1: [
      ['1:23:45', 60],
      ['Please Remain Calm', 65],
      ['Open Wide, O Earth', 65],
      ['The Happiness of All Mankind', 67],
      ['Vichnaya Pamyat', 72],
    ],
  }, 100),
  show(67070, 'Fleabag', 2016, 26, ['Comedy', 'Drama'], 'A sharp, grieving young woman in London muddles through family, sex and her failing café while talking straight to the camera.', {
    1: fleabagSeason(26),
    2: fleabagSeason(26),
  }, 50),
  show(19885, 'Sherlock', 2010, 88, ['Crime', 'Drama', 'Mystery'], 'Sherlock Holmes and Dr John Watson solve crimes in present-day London.', {
    1: [
      ['A Study in Pink', 88],
      ['The Blind Banker', 89],
      ['The Great Game', 89],
    ],
    2: [
      ['A Scandal in Belgravia', 89],
      ['The Hounds of Baskerville', 88],
      ['The Reichenbach Fall', 88],
    ],
    3: [
      ['The Empty Hearse', 86],
      ['The Sign of Three', 86],
      ['His Last Vow', 89],
    ],
    4: [
      ['The Six Thatchers', 88],
      ['The Lying Detective', 89],
      ['The Final Problem', 89],
    ],
  }, 90),
];
