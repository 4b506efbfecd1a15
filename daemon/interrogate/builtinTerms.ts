// SD Studio's own term lists for Interrogate CLIP, used when the models root is not an A1111 install with an
// `interrogate/` folder (A1111 would download clip-interrogator's lists there; we ship none of theirs). Written for
// SD Studio: common art media, art movements, historical artists (public-domain era) and style descriptors.
// Ranked in this order, one match each, as A1111 ranks a folder's files.

const list = (text: string): string[] => text.split('|').map((s) => s.trim()).filter(Boolean);

const MEDIUMS = list(`
an oil painting | a watercolor painting | an acrylic painting | a gouache painting | a pastel drawing | a charcoal drawing |
a pencil sketch | an ink drawing | a pen and ink illustration | a woodcut print | a linocut | an etching | a lithograph |
a screen print | a digital painting | a digital illustration | a 3D render | a photograph | a black and white photograph |
a polaroid photo | a film photograph | a portrait photograph | a macro photograph | an aerial photograph | a cartoon |
a comic book panel | a manga panel | an anime screenshot | a concept art piece | a matte painting | a pixel art image |
a vector illustration | a low poly render | a claymation still | a stained glass window | a mosaic | a fresco | a tapestry |
a collage | a papercut | an embroidery | a sculpture | a marble statue | a bronze sculpture | a ceramic figure | a mural |
a graffiti piece | a children's book illustration | a poster | a postcard | a book cover | an album cover | a blueprint |
a technical drawing | a map | an infographic | a still life painting | a miniature painting | a scroll painting
`);

const MOVEMENTS = list(`
renaissance | high renaissance | mannerism | baroque | rococo | neoclassicism | romanticism | realism | pre-raphaelite |
impressionism | post-impressionism | pointillism | symbolism | art nouveau | fauvism | expressionism | cubism | futurism |
vorticism | dada | surrealism | de stijl | bauhaus | constructivism | art deco | precisionism | regionalism |
social realism | abstract expressionism | color field painting | pop art | op art | minimalism | conceptual art |
photorealism | hyperrealism | lowbrow art | street art | ukiyo-e | sumi-e | shin hanga | tonalism | luminism |
hudson river school | barbizon school | academic art | naive art | outsider art | primitivism | orphism | suprematism |
magic realism | metaphysical painting | neo-expressionism | figurative art | arts and crafts movement | gothic art |
byzantine art | romanesque art | art brut | vaporwave | synthwave | cyberpunk | steampunk | solarpunk | afrofuturism
`);

const ARTISTS = list(`
Leonardo da Vinci | Michelangelo | Raphael | Sandro Botticelli | Titian | Jan van Eyck | Hieronymus Bosch |
Pieter Bruegel the Elder | Albrecht Dürer | Hans Holbein the Younger | El Greco | Caravaggio | Peter Paul Rubens |
Rembrandt van Rijn | Johannes Vermeer | Diego Velázquez | Frans Hals | Artemisia Gentileschi | Nicolas Poussin |
Claude Lorrain | Antoine Watteau | Jean-Honoré Fragonard | Canaletto | Francisco Goya | Jacques-Louis David |
Jean-Auguste-Dominique Ingres | Caspar David Friedrich | J. M. W. Turner | John Constable | Eugène Delacroix |
Théodore Géricault | Gustave Courbet | Jean-François Millet | Camille Corot | Édouard Manet | Claude Monet |
Pierre-Auguste Renoir | Edgar Degas | Camille Pissarro | Alfred Sisley | Berthe Morisot | Mary Cassatt | Paul Cézanne |
Vincent van Gogh | Paul Gauguin | Georges Seurat | Paul Signac | Henri de Toulouse-Lautrec | Odilon Redon |
Gustave Moreau | Dante Gabriel Rossetti | John Everett Millais | John William Waterhouse | Edward Burne-Jones |
William Morris | James McNeill Whistler | John Singer Sargent | Winslow Homer | Thomas Cole | Albert Bierstadt |
Frederic Edwin Church | Ivan Aivazovsky | Ivan Shishkin | Ilya Repin | Isaac Levitan | Arkhip Kuindzhi |
Gustav Klimt | Egon Schiele | Alphonse Mucha | Aubrey Beardsley | Edvard Munch | Henri Rousseau | Henri Matisse |
André Derain | Wassily Kandinsky | Franz Marc | Paul Klee | Piet Mondrian | Kazimir Malevich | Umberto Boccioni |
Giorgio de Chirico | Amedeo Modigliani | Marc Chagall | Juan Gris | Fernand Léger | Joaquín Sorolla | Anders Zorn |
Carl Larsson | Arthur Rackham | Edmund Dulac | Kay Nielsen | Howard Pyle | N. C. Wyeth | Maxfield Parrish |
J. C. Leyendecker | Ivan Bilibin | John Bauer | Katsushika Hokusai | Utagawa Hiroshige | Kitagawa Utamaro |
Tsukioka Yoshitoshi | Utagawa Kuniyoshi | Ito Jakuchu | Kawase Hasui | Hiroshi Yoshida | Ohara Koson |
Qi Baishi | Xu Beihong | Lawren Harris | Tom Thomson | Emily Carr | Georgia O'Keeffe | Edward Hopper | Grant Wood |
Thomas Hart Benton | Diego Rivera | Frida Kahlo | Tamara de Lempicka | Hilma af Klint | William Blake | Gustave Doré |
Honoré Daumier | Hans Thoma | Arnold Böcklin | Carl Spitzweg | Ferdinand Hodler | Giovanni Segantini | Akseli Gallen-Kallela
`);

const FLAVORS = list(`
highly detailed | intricate | sharp focus | soft focus | cinematic lighting | dramatic lighting | volumetric lighting |
rim lighting | golden hour | blue hour | studio lighting | natural light | backlit | chiaroscuro | high contrast |
low contrast | muted colors | vibrant colors | pastel colors | monochrome | sepia | warm tones | cool tones |
complementary colors | limited palette | soft light | hard shadows | glowing | bioluminescent | iridescent | neon |
moody | atmospheric | foggy | misty | hazy | rainy | snowy | sunny | stormy | dreamy | ethereal | surreal | whimsical |
melancholic | serene | peaceful | eerie | ominous | dark | gloomy | cheerful | cozy | nostalgic | romantic | epic |
majestic | mysterious | magical | fantasy | science fiction | post-apocalyptic | futuristic | retro | vintage | antique |
rustic | industrial | urban | rural | pastoral | tropical | arctic | desert | underwater | cosmic | celestial |
wide angle | telephoto | fisheye lens | tilt-shift | bokeh | depth of field | long exposure | motion blur | film grain |
35mm | medium format | symmetrical | asymmetrical | centered composition | rule of thirds | close-up | full body shot |
portrait | landscape | cityscape | seascape | still life | interior | architecture | botanical | anatomical |
geometric | organic | ornate | minimalist | maximalist | flat colors | cel shaded | smooth shading | rough brushstrokes |
impasto | thick paint | loose brushwork | fine lines | bold lines | clean lines | sketchy | painterly | photorealistic |
stylized | cartoonish | cute | chibi | kawaii | grotesque | gothic | baroque ornament | art nouveau ornament | filigree |
textured | smooth | glossy | matte | metallic | translucent | reflective | wet | weathered | rusty | mossy | overgrown |
crumbling | pristine | ruined | abandoned | crowded | empty | lonely | tiny | enormous | towering | floating | flying |
sunlight through the trees | light rays | god rays | lens flare | reflections | silhouette | high key | low key |
award winning | masterpiece | trending | concept art | matte painting | character design | environment design |
storybook | fairy tale | mythological | historical | medieval | victorian | art deco style | mid-century modern
`);

export const BUILTIN_TERM_LISTS: ReadonlyArray<{ name: string; items: readonly string[] }> = [
  { name: 'mediums', items: MEDIUMS },
  { name: 'artists', items: ARTISTS },
  { name: 'movements', items: MOVEMENTS },
  { name: 'flavors', items: FLAVORS },
];
