// Common given names across cultures, for the PERSON detector's "given name + surname" rule.
//
// Curated by hand from national top-name lists (US SSA, ONS, INSEE, INE, Destatis and others): names
// that are at least as often ordinary English words, months, places or product names are left out, because
// the rule fires on any capitalized word after one of these: May, June, April, August, Will, Hope, Faith,
// Joy, Dawn, Eve, Art, Chase, Hunter, Guy, Rich, Sky, Summer, Autumn, Paris, Jordan, Austin, Dallas, Sydney,
// Phoenix, Florence, Georgia, Virginia, Carolina, India, China, Max, Ruby, Julia, Crystal, Jade, Pearl,
// Amber, Mercedes, Can, Rust.

/** Given names, each written as people capitalize it. */
export const FIRST_NAMES: ReadonlySet<string> = new Set([
  // English-speaking countries
  'Aaron', 'Abigail', 'Adam', 'Adrian', 'Aidan', 'Alan', 'Albert', 'Alex', 'Alexander', 'Alexis', 'Alice', 'Alicia',
  'Allison', 'Alyssa', 'Amanda', 'Amelia', 'Amy', 'Andrea', 'Andrew', 'Andy', 'Angel', 'Angela', 'Ann', 'Anna', 'Anne',
  'Anthony', 'Arthur', 'Ashley', 'Audrey', 'Ava', 'Barbara', 'Bella', 'Ben', 'Benjamin', 'Betty', 'Beverly', 'Bob',
  'Bobby', 'Bradley', 'Brandon', 'Brenda', 'Brett', 'Brian', 'Brittany', 'Bruce', 'Bryan', 'Caleb', 'Cameron', 'Carl',
  'Carla', 'Carol', 'Carolyn', 'Casey', 'Catherine', 'Chad', 'Charles', 'Charlie', 'Charlotte', 'Cheryl', 'Chloe',
  'Chris', 'Christian', 'Christina', 'Christine', 'Christopher', 'Cindy', 'Claire', 'Colin', 'Connor', 'Courtney',
  'Craig', 'Cynthia', 'Dale', 'Dan', 'Dana', 'Daniel', 'Danielle', 'Danny', 'Darren', 'Dave', 'David', 'Dean',
  'Deborah', 'Debra', 'Denise', 'Dennis', 'Derek', 'Diana', 'Diane', 'Dominic', 'Donald', 'Donna', 'Doris', 'Dorothy',
  'Douglas', 'Dylan', 'Edward', 'Eleanor', 'Elijah', 'Elise', 'Elizabeth', 'Ella', 'Ellie', 'Emilia', 'Emily', 'Emma',
  'Eric', 'Erica', 'Erin', 'Ethan', 'Eugene', 'Evan', 'Evelyn', 'Frances', 'Frank', 'Fred', 'Gabriel', 'Gary', 'Gavin',
  'George', 'Gerald', 'Gloria', 'Gordon', 'Grace', 'Greg', 'Gregory', 'Hailey', 'Hannah', 'Harold', 'Harper', 'Harry',
  'Heather', 'Helen', 'Henry', 'Ian', 'Isaac', 'Isabella', 'Ivy', 'Jack', 'Jacob', 'Jacqueline', 'James', 'Jane',
  'Janet', 'Janice', 'Jared', 'Jasmine', 'Jason', 'Jean', 'Jeff', 'Jeffrey', 'Jenna', 'Jennifer', 'Jenny', 'Jeremy',
  'Jerry', 'Jesse', 'Jessica', 'Jill', 'Jim', 'Jimmy', 'Joan', 'Joe', 'Joel', 'John', 'Johnny', 'Jonathan', 'Joseph',
  'Josh', 'Joshua', 'Joyce', 'Judith', 'Judy', 'Julian', 'Julie', 'Justin', 'Kara', 'Karen', 'Kate', 'Katherine',
  'Kathleen', 'Kathryn', 'Katie', 'Kayla', 'Keith', 'Kelly', 'Ken', 'Kenneth', 'Kevin', 'Kimberly', 'Kristen', 'Kyle',
  'Larry', 'Laura', 'Lauren', 'Lawrence', 'Leah', 'Leslie', 'Liam', 'Lily', 'Linda', 'Lindsay', 'Lisa', 'Logan',
  'Lori', 'Lucas', 'Lucy', 'Luke', 'Madison', 'Marcus', 'Margaret', 'Marie', 'Marilyn', 'Mark', 'Martha', 'Martin',
  'Mary', 'Mason', 'Matt', 'Matthew', 'Megan', 'Melanie', 'Melissa', 'Mia', 'Michael', 'Michelle', 'Mike', 'Miles',
  'Molly', 'Morgan', 'Nadia', 'Nancy', 'Naomi', 'Natalie', 'Nathan', 'Neil', 'Nicholas', 'Nick', 'Nicole', 'Nina',
  'Noah', 'Oliver', 'Olivia', 'Oscar', 'Owen', 'Paige', 'Pamela', 'Patricia', 'Patrick', 'Paul', 'Peter', 'Phil',
  'Philip', 'Phillip', 'Rachael', 'Rachel', 'Ralph', 'Randy', 'Raymond', 'Rebecca', 'Rebekah', 'Regina', 'Richard',
  'Rick', 'Robert', 'Roger', 'Ron', 'Ronald', 'Rose', 'Ross', 'Roy', 'Russell', 'Ruth', 'Ryan', 'Sabrina', 'Sam',
  'Samantha', 'Samuel', 'Sandra', 'Sara', 'Sarah', 'Scott', 'Sean', 'Sebastian', 'Seth', 'Shane', 'Sharon', 'Shawn',
  'Shirley', 'Simon', 'Sonia', 'Sophia', 'Spencer', 'Stanley', 'Stella', 'Stephanie', 'Stephen', 'Steve', 'Steven',
  'Susan', 'Tanya', 'Tara', 'Teresa', 'Terry', 'Tessa', 'Theresa', 'Thomas', 'Tim', 'Timothy', 'Todd', 'Tom', 'Tony',
  'Travis', 'Trevor', 'Troy', 'Tyler', 'Valerie', 'Vanessa', 'Vera', 'Victor', 'Victoria', 'Vincent', 'Walter',
  'Wayne', 'Wendy', 'Wesley', 'William', 'Zach', 'Zachary', 'Zoe',
  // German, Dutch and Nordic
  'Aleksandr', 'Aleksey', 'Alexandre', 'Anders', 'Andreas', 'Anja', 'Astrid', 'Birgit', 'Bram', 'Claudia', 'Daan',
  'Denis', 'Dieter', 'Dmitrii', 'Dominik', 'Emil', 'Erik', 'Ewa', 'Fabian', 'Felix', 'Finn', 'Fleur', 'Florian',
  'Gabriele', 'Greta', 'Günter', 'Hans', 'Heike', 'Helmut', 'Henrik', 'Ingrid', 'Jakub', 'Jan', 'Jens', 'Johan',
  'Johanna', 'Jonas', 'Jörg', 'Jürgen', 'Karin', 'Kasper', 'Katrin', 'Kirill', 'Klaus', 'Kristian', 'Lars', 'Lea',
  'Lena', 'Leon', 'Linnea', 'Lukas', 'Magdalena', 'Magnus', 'Marcel', 'Marek', 'Markus', 'Mats', 'Matthias',
  'Matthieu', 'Maximilian', 'Mikael', 'Mikkel', 'Monika', 'Niklas', 'Nils', 'Ole', 'Oleg', 'Patrik', 'Pavol', 'Petr',
  'Petra', 'Pieter', 'Rasmus', 'Renate', 'Roman', 'Sabine', 'Sanne', 'Sigrid', 'Simone', 'Sophie', 'Stefan', 'Susanne',
  'Sven', 'Tobias', 'Tomas', 'Tomáš', 'Torsten', 'Tove', 'Ursula', 'Uwe', 'Vojtěch', 'Wolfgang', 'Zuzana',
  // French
  'Alain', 'Antoine', 'Aurélie', 'Camille', 'Chloé', 'Christophe', 'Céline', 'François', 'Françoise', 'Guillaume',
  'Hugo', 'Inès', 'Isabelle', 'Jacques', 'Jules', 'Julien', 'Louis', 'Léa', 'Manon', 'Margaux', 'Mathieu', 'Michel',
  'Monique', 'Nathalie', 'Nicolas', 'Philippe', 'Pierre', 'Sylvie', 'Sébastien', 'Théo', 'Élodie',
  // Spanish, Portuguese and Italian
  'Alberto', 'Alejandro', 'Alessandro', 'Ana', 'Andrés', 'Antonio', 'Beatriz', 'Bruno', 'Camila', 'Carlos', 'Carmen',
  'Chiara', 'Daniela', 'Diego', 'Eduardo', 'Elena', 'Federica', 'Fernanda', 'Fernando', 'Francesca', 'Francesco',
  'Francisco', 'Gabriela', 'Giovanni', 'Giulia', 'Giuseppe', 'Gonçalo', 'Isabel', 'Javier', 'Jorge', 'José', 'João',
  'Juan', 'Lorenzo', 'Luca', 'Lucía', 'Luis', 'Manuel', 'Marco', 'Maria', 'Mariana', 'Mario', 'Marta', 'María',
  'Matteo', 'Miguel', 'Pablo', 'Paula', 'Pedro', 'Pilar', 'Rafael', 'Raúl', 'Ricardo', 'Roberto', 'Rodrigo', 'Sergio',
  'Sofía', 'Tiago', 'Valentina',
  // Slavic
  'Agnieszka', 'Alexei', 'Anastasia', 'Andrei', 'Dmitri', 'Dmitry', 'Ekaterina', 'Irina', 'Ivan', 'Katarzyna',
  'Krzysztof', 'Mikhail', 'Natalia', 'Nikolai', 'Olga', 'Pavel', 'Piotr', 'Sergei', 'Sergey', 'Svetlana', 'Tatiana',
  'Tomasz', 'Vladimir', 'Yuri',
  // Arabic, Persian and Turkish
  'Abdullah', 'Ahmad', 'Ahmed', 'Aisha', 'Ali', 'Amir', 'Ayşe', 'Elif', 'Emre', 'Fatima', 'Hassan', 'Hussein',
  'Ibrahim', 'Karim', 'Khalid', 'Layla', 'Leila', 'Mahmoud', 'Mariam', 'Mehmet', 'Mohamed', 'Mohammad', 'Mohammed',
  'Muhammad', 'Mustafa', 'Omar', 'Reza', 'Tariq', 'Yasmin', 'Yusuf', 'Zainab', 'Zeynep',
  // South Asian
  'Aarav', 'Aditya', 'Amit', 'Anand', 'Ananya', 'Anil', 'Anita', 'Anjali', 'Arjun', 'Arun', 'Ashok', 'Deepak', 'Divya',
  'Ishaan', 'Kavita', 'Krishna', 'Lakshmi', 'Manoj', 'Meera', 'Neha', 'Pooja', 'Priya', 'Rahul', 'Raj', 'Rajesh',
  'Ramesh', 'Ravi', 'Rohan', 'Sanjay', 'Sunil', 'Sunita', 'Suresh', 'Vijay', 'Vikram',
  // East Asian (romanized)
  'Akiko', 'Akira', 'Daiki', 'Haruto', 'Hiroshi', 'Hui', 'Hyun', 'Jae', 'Jihoon', 'Jing', 'Jiwoo', 'Keiko', 'Kenji',
  'Kenta', 'Ming', 'Minjun', 'Naoko', 'Qiang', 'Sakura', 'Seoyeon', 'Takashi', 'Tomoko', 'Wei', 'Xiaoming', 'Yoko',
  'Yuki', 'Yuna', 'Yuto',
  // African
  'Abebe', 'Amara', 'Chinedu', 'Chioma', 'Emeka', 'Kofi', 'Kwame', 'Ngozi', 'Nomvula', 'Oluwaseun', 'Sipho', 'Tendai',
  'Thabo', 'Themba', 'Tunde', 'Wanjiru',
]);
